import { test, expect, hydrated, expectAccessible } from './fixtures';

// A logged-in buyer pays for a seat, finds the order in "My orders", opens it without the
// secret link and downloads the branded e-tickets (a PDF) and the calendar file.
test('a logged-in buyer finds the order in their history and downloads tickets and calendar', async ({
  page,
}) => {
  await page.goto('/');
  await page.getByTestId('login-link').click();
  await page.getByLabel('E-mail').fill('alice@example.com');
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('user-name')).toHaveText('Alice Martin');

  await page.getByRole('link', { name: 'Hamlet' }).click();
  await page.getByRole('link', { name: /Choose seats for/ }).last().click();
  await hydrated(page);
  const front = page.getByRole('region', { name: 'Stalls, front' });
  await front.getByLabel('Number of tickets').fill('1');
  await front.getByRole('button', { name: 'Add best available seats' }).click();
  await expect(page).toHaveURL(/\/cart$/);
  await page.getByTestId('to-checkout').click();
  await expect(page.getByTestId('paying-as')).toContainText('Alice Martin');
  await hydrated(page);
  await page.getByTestId('to-payment').click();
  await expect(page).toHaveURL(/\/pay$/);
  const frame = page.frameLocator('iframe[title="Card payment"]');
  await frame.getByLabel(/Card number/).fill('4111 1111 1111 1111');
  await frame.getByLabel(/Expiry/).fill('12/30');
  await frame.getByLabel(/Security code/).fill('123');
  await frame.getByRole('button', { name: /Pay/ }).click();
  await expect(page.getByTestId('order-state')).toHaveText('Paid and confirmed');
  const orderId = (await page.getByTestId('order-number').textContent())!.trim();
  await expectAccessible(page);

  // "My orders" from the account page
  await page.goto('/account');
  await expectAccessible(page);
  await page.getByTestId('my-orders').click();
  await expect(page).toHaveURL(/\/account\/orders$/);
  await expect(page.getByRole('heading', { level: 1, name: 'My orders' })).toBeVisible();
  const row = page.locator(`[data-testid="history-order"][data-order="${orderId}"]`);
  await expect(row).toBeVisible();
  await expect(row.getByTestId('history-state')).toHaveText('Paid');
  await expect(row).toContainText('Hamlet');
  await expectAccessible(page);

  // the order page, reached without its secret link
  await row.getByRole('link', { name: `Order ${orderId}` }).click();
  await expect(page).toHaveURL(new RegExp(`/orders/${orderId}$`));
  await expect(page.getByTestId('order-state')).toHaveText('Paid and confirmed');
  await expect(page.getByTestId('ticket')).toHaveCount(1);
  await expect(page.getByTestId('ticket')).toContainText(/Seat \d+/);
  await expectAccessible(page);

  // the branded e-tickets
  const [pdfDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('download-branded').click(),
  ]);
  expect(pdfDownload.suggestedFilename()).toBe(`e-tickets-${orderId}.pdf`);
  const pdfHref = (await page.getByTestId('download-branded').getAttribute('href'))!;
  const pdf = await page.request.get(pdfHref);
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()['content-type']).toBe('application/pdf');
  const bytes = await pdf.body();
  expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');

  // the calendar file
  const [icsDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('download-calendar').click(),
  ]);
  expect(icsDownload.suggestedFilename()).toBe(`order-${orderId}.ics`);
  const icsHref = (await page.getByTestId('download-calendar').getAttribute('href'))!;
  const ics = await page.request.get(icsHref);
  expect(ics.status()).toBe(200);
  expect(ics.headers()['content-type']).toBe('text/calendar; charset=utf-8');
  const text = await ics.text();
  expect(text).toContain('BEGIN:VCALENDAR');
  expect(text).toContain('SUMMARY;LANGUAGE=en:Hamlet');
  expect(text).toMatch(/DTSTART:\d{8}T\d{6}Z/);

  // without the session the same files need the secret link
  const anonymous = await page.context().browser()!.newContext();
  const refused = await anonymous.request.get(
    new URL(`/orders/${orderId}/tickets-branded.pdf`, page.url()).toString(),
  );
  expect(refused.status()).toBe(404);
  await anonymous.close();
});
