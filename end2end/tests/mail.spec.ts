import { test, expect, hydrated, expectAccessible } from './fixtures';

// The confirmation e-mail: a guest's purchase ends with exactly one mail in maildev (the SMTP
// server playwright.config.ts starts, read through its REST API), whose link opens the order
// and whose attachments are the e-tickets PDF and the .ics; "send me my tickets again" sends
// one more, once.
const api = process.env.MAILDEV_E2E_API!;

type Mail = {
  id: string;
  subject: string;
  text: string;
  to: { address: string }[];
  attachments?: { generatedFileName?: string; fileName?: string }[];
};

async function mailsTo(address: string): Promise<Mail[]> {
  const res = await fetch(`${api}/email`);
  const all = (await res.json()) as Mail[];
  return all.filter((m) => m.to.some((t) => t.address === address));
}

test('a guest purchase sends exactly one mail whose link opens the order', async ({ page }) => {
  const email = `mail-e2e-${Date.now()}@example.com`;
  await page.goto('/');
  await hydrated(page);
  await page.getByRole('link', { name: 'Hamlet' }).click();
  await page.getByRole('link', { name: /Choose seats for/ }).first().click();
  await hydrated(page);
  const stalls = page.getByRole('region', { name: 'Stalls, rear' });
  await stalls.getByLabel('Number of tickets').fill('1');
  await stalls.getByRole('button', { name: 'Add best available seats' }).click();
  await expect(page).toHaveURL(/\/cart$/);
  await page.getByTestId('to-checkout').click();
  await hydrated(page);
  await page.getByLabel('First name').fill('Grace');
  await page.getByLabel('Last name').fill('Hopper');
  await page.getByLabel('E-mail').fill(email);
  await page.getByTestId('to-payment').click();
  await expect(page).toHaveURL(/\/pay$/);
  const frame = page.frameLocator('iframe[title="Card payment"]');
  await frame.getByLabel(/Card number/).fill('4111 1111 1111 1111');
  await frame.getByLabel(/Expiry/).fill('12/30');
  await frame.getByLabel(/CVC|Security code/).fill('123');
  await frame.getByRole('button', { name: /Pay/ }).click();
  await expect(page).toHaveURL(/\/orders\/\d+\?access=/);
  await expect(page.getByTestId('order-state')).toHaveText('Paid and confirmed');
  const number = (await page.getByTestId('order-number').textContent())!.trim();

  // one mail, and still one a moment later (the return and the notification both finalised)
  await expect.poll(async () => (await mailsTo(email)).length, { timeout: 20_000 }).toBe(1);
  await page.reload();
  await page.waitForTimeout(2_000);
  const mails = await mailsTo(email);
  expect(mails).toHaveLength(1);
  const mail = mails[0];
  expect(mail.subject).toContain(number);
  const names = (mail.attachments ?? []).map((a) => a.generatedFileName ?? a.fileName ?? '');
  expect(names.some((n) => n.endsWith('.pdf'))).toBe(true);
  expect(names.some((n) => n.endsWith('.ics'))).toBe(true);

  // the link in the mail opens the order, in a browser that never saw it
  const link = mail.text.match(/https?:\/\/\S+\/orders\/\d+\?access=\S+/)?.[0];
  expect(link).toBeTruthy();
  const context = await page.context().browser()!.newContext();
  const other = await context.newPage();
  await other.goto(link!);
  await expect(other.getByTestId('order-number')).toHaveText(number);
  await expect(other.getByTestId('order-state')).toHaveText('Paid and confirmed');
  await context.close();

  // send me my tickets again: one more mail, then "wait" for 10 minutes
  await page.getByTestId('resend-tickets').click();
  await expect(page.getByTestId('resend-notice')).toContainText('We sent your tickets again');
  await expectAccessible(page);
  await expect.poll(async () => (await mailsTo(email)).length, { timeout: 20_000 }).toBe(2);
  await page.getByTestId('resend-tickets').click();
  await expect(page.getByTestId('resend-notice')).toContainText('in 10 minutes');
  await page.waitForTimeout(2_000);
  expect(await mailsTo(email)).toHaveLength(2);
});
