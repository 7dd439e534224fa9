import { test, expect, hydrated, expectAccessible } from './fixtures';
import type { Page } from '@playwright/test';

// A full purchase per institution, from the home page to the downloaded tickets: MOSA (a visit
// pass, as a guest) and PLAY (a season ticket, logged in with the club's own login provider,
// with the holder's name). CUBE's are in purchase.spec.ts (guest) and account.spec.ts /
// tickets.spec.ts (logged in).
const port = Number(process.env.SHOP_E2E_PORT ?? 3100);
const mosa = `http://mosa.localhost:${port}`;
const play = `http://play.localhost:${port}`;

/// Pays in the embedded S-PAY widget with the test card that pays; lands on the order page.
async function payAndConfirm(page: Page) {
  await expect(page).toHaveURL(/\/pay$/);
  const frame = page.frameLocator('iframe[title="Card payment"]');
  await frame.getByLabel(/Card number/).fill('4111 1111 1111 1111');
  await frame.getByLabel(/Expiry/).fill('12/30');
  await frame.getByLabel(/Security code|CVC/).fill('123');
  await frame.getByRole('button', { name: /Pay/ }).click();
  await expect(page.getByTestId('order-state')).toHaveText('Paid and confirmed');
}

/// Fetches `href` from the page itself (Node does not resolve *.localhost; the browser does):
/// status, content type and the body as Latin-1 text.
async function fetchInPage(page: Page, href: string) {
  return page.evaluate(async (url) => {
    const r = await fetch(url);
    const body = new TextDecoder('latin1').decode(await r.arrayBuffer());
    return { status: r.status, type: r.headers.get('content-type'), body };
  }, href);
}

/// The order page's downloads: both PDFs are PDFs, the branded one names `mustName`; the
/// calendar file holds the dates.
async function downloads(page: Page, mustName: string[], calendar = true) {
  for (const id of ['download-branded', 'download-tickets']) {
    const r = await fetchInPage(page, (await page.getByTestId(id).getAttribute('href'))!);
    expect(r.status, id).toBe(200);
    expect(r.type).toBe('application/pdf');
    expect(r.body.slice(0, 5)).toBe('%PDF-');
    if (id === 'download-branded') {
      // text shown with Tj: literal strings, or hex strings for non-ASCII (WinAnsi) ones
      const hex = [...r.body.matchAll(/<([0-9A-Fa-f]+)> Tj/g)].map((m) =>
        m[1].replace(/../g, (b) => String.fromCharCode(parseInt(b, 16))),
      );
      const shown = `${r.body}\n${hex.join('\n')}`;
      for (const name of mustName) expect(shown, `the e-ticket names ${name}`).toContain(name);
    }
  }
  if (!calendar) return;
  const ics = await fetchInPage(page, (await page.getByTestId('download-calendar').getAttribute('href'))!);
  expect(ics.status).toBe(200);
  expect(ics.body).toContain('BEGIN:VEVENT');
  expect(ics.body).toMatch(/DTSTART:\d{8}T\d{6}Z/);
}

test('MOSA: a guest books a timed visit and downloads the tickets', async ({ page, consoleErrors }) => {
  await page.goto(`${mosa}/?lang=en`);
  await hydrated(page);
  await page.getByRole('link', { name: 'Permanent collection & Light and Matter exhibition' }).first().click();
  const days = page.getByTestId('calendar').locator('a.day');
  await expect(days.first()).toBeVisible();
  await days.nth((await days.count()) > 1 ? 1 : 0).click();
  await expect(page.getByRole('heading', { name: /^Time slots on / })).toBeVisible();
  await hydrated(page);
  await page.getByRole('radio', { name: /14:00–14:30/ }).check();
  await page.getByLabel(/^Adult/).fill('2');
  await page.getByTestId('add-product').click();
  await expect(page).toHaveURL(/\/cart$/);
  await expect(page.getByTestId('cart-line').first().getByTestId('cart-when')).toContainText('14:00–14:30');

  await page.getByTestId('to-checkout').click();
  await hydrated(page);
  await expectAccessible(page);
  await page.getByLabel('First name').fill('Marie');
  await page.getByLabel('Last name').fill('Curie');
  await page.getByLabel('E-mail', { exact: true }).fill('marie@example.org');
  await page.getByTestId('to-payment').click();
  await payAndConfirm(page);
  await expect(page.getByTestId('ticket')).toHaveCount(2);
  await expectAccessible(page);
  await downloads(page, ['Permanent collection', '14:00']);
  expect(consoleErrors).toEqual([]);
});

// (no console check: the provider's own login pages are not the shop's)
test('PLAY: a logged-in fan buys a season ticket in a holder’s name', async ({ page }) => {
  // the club's own login provider (node-oidc-provider, end2end/oidc/provider.mjs)
  await page.goto(`${play}/?lang=en`);
  await page.getByTestId('login-link').click();
  await page.getByPlaceholder('Enter any login').fill('carla');
  await page.getByPlaceholder('and password').fill('any');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await expect(page).toHaveURL(new RegExp(`^${play.replace(/\./g, '\\.')}/`));
  await expect(page.getByTestId('user-name')).toBeVisible();

  await page.goto(`${play}/?family=season`);
  await page.getByRole('link', { name: 'Season ticket 2026/27' }).first().click();
  await hydrated(page);
  await page.getByRole('radio', { name: /Main stand/ }).check();
  await page.getByLabel(/^Adult/).fill('1');
  await page.getByTestId('add-product').click();
  await expect(page).toHaveURL(/\/cart$/);
  const seat = (await page.getByTestId('cart-line').locator('.seats li').first().textContent())!.trim();

  await page.getByTestId('to-checkout').click();
  await hydrated(page);
  await expect(page.getByTestId('paying-as')).toBeVisible();
  const holders = page.getByTestId('holders');
  await expect(holders.getByRole('group')).toHaveCount(1);
  // no name: refused, in words, next to the fields
  await page.getByTestId('to-payment').click();
  await expect(page.getByTestId('checkout-errors')).toContainText('First name');
  await expectAccessible(page);
  await holders.getByLabel('First name').fill('Grace');
  await holders.getByLabel('Last name').fill('Hopper');
  await page.getByTestId('to-payment').click();
  await payAndConfirm(page);
  await expect(page.getByTestId('ticket').first()).toContainText('Grace Hopper');
  await expectAccessible(page);
  await downloads(page, ['Grace Hopper', seat.split(',')[0].trim()]);
});

test('MOSA: a logged-in visitor books a visit and finds it in their orders', async ({ page, consoleErrors }) => {
  // S-360 as the login provider
  await page.goto(`${mosa}/account/orders?lang=en`);
  await expect(page).toHaveURL(/\/MOSA\/oidc\/authorize\?/);
  await page.getByLabel('E-mail').fill('bob@example.com');
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${mosa}/account/orders`);

  await page.goto(`${mosa}/`);
  await page.getByRole('link', { name: 'Permanent collection & Light and Matter exhibition' }).first().click();
  const days = page.getByTestId('calendar').locator('a.day');
  await days.nth((await days.count()) > 2 ? 2 : 0).click();
  await hydrated(page);
  await page.getByRole('radio', { name: /15:00–15:30/ }).check();
  await page.getByLabel(/^Adult/).fill('1');
  await page.getByTestId('add-product').click();
  await expect(page).toHaveURL(/\/cart$/);
  await page.getByTestId('to-checkout').click();
  await hydrated(page);
  await expect(page.getByTestId('paying-as')).toBeVisible();
  await page.getByTestId('to-payment').click();
  await payAndConfirm(page);
  const orderId = (await page.getByTestId('order-number').textContent())!.trim();
  await downloads(page, ['Permanent collection', '15:00']);

  await page.goto(`${mosa}/account/orders`);
  await expect(page.locator(`[data-testid="history-order"][data-order="${orderId}"]`)).toBeVisible();
  await expectAccessible(page);
  expect(consoleErrors).toEqual([]);
});

test('PLAY: a guest buys a match ticket', async ({ page, consoleErrors }) => {
  await page.goto(`${play}/?lang=en&family=event`);
  await hydrated(page);
  await page.locator('.card h3 a').first().click();
  await page.getByRole('link', { name: /Choose seats for/ }).first().click();
  await hydrated(page);
  await page.locator('[data-testid^="add-"]').first().click();
  await expect(page).toHaveURL(/\/cart$/);
  const line = page.getByTestId('cart-line');
  await expect(line).toHaveCount(1);
  await page.getByTestId('to-checkout').click();
  await hydrated(page);
  await page.getByLabel('First name').fill('Lionel');
  await page.getByLabel('Last name').fill('Fan');
  await page.getByLabel('E-mail', { exact: true }).fill('fan@example.org');
  await page.getByTestId('to-payment').click();
  await payAndConfirm(page);
  // the quantity the performance page proposes (2 by default)
  await expect(page.getByTestId('ticket')).toHaveCount(2);
  await expectAccessible(page);
  await downloads(page, ['Play FC']);
  expect(consoleErrors).toEqual([]);
});
