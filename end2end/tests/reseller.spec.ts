import { test as base, type Page } from '@playwright/test';
import { test, expect, expectAccessible } from './fixtures';

// The reseller storefront (issue 15, seed 000): "Lakeside Tickets" on resell.localhost sells
// CUBE's performances (in EUR) and MOSA's visits (in CHF) in one cart, paid by card in the
// page through the reseller's own provider (localstripe, started by the Playwright config), and
// its back office counts what it owes each institution. Each test makes its own orders.
const port = Number(process.env.SHOP_E2E_PORT ?? 3100);
const resell = `http://resell.localhost:${port}`;

/// Two of the best available seats of CUBE's first performance on sale.
async function addCubePerformance(page: Page, quantity = 2) {
  await page.goto(`${resell}/?lang=en&institution=CUBE`);
  await page.locator('.rs-card h2 a').first().click();
  await page.getByRole('link', { name: 'Choose tickets' }).first().click();
  await expect(page.locator('h1')).toBeVisible();
  await page.locator('.rs-offer input:not([disabled])').first().fill(String(quantity));
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByText('Added to your cart.')).toBeVisible();
}

/// One adult visit of MOSA's exhibition, on the first day with a free slot.
async function addMosaVisit(page: Page) {
  await page.goto(`${resell}/?lang=en&institution=MOSA&family=visit_pass`);
  await page.getByRole('link', { name: 'Permanent collection & Light and Matter exhibition' }).click();
  const days = await page.locator('.rs-calendar td a').evaluateAll((as) =>
    as.map((a) => (a as HTMLAnchorElement).href),
  );
  for (const day of days) {
    await page.goto(day);
    const slot = page.locator('input[name="timeslot_id"]:not([disabled])').first();
    if ((await slot.count()) === 0) continue;
    await slot.check();
    await page.locator('.rs-offers input').first().fill('1');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await expect(page.getByText('Added to your cart.')).toBeVisible();
    return;
  }
  throw new Error('no day with a free slot');
}

async function checkout(page: Page) {
  await page.getByRole('link', { name: 'Checkout' }).click();
  await page.getByLabel('First name').fill('Ada');
  await page.getByLabel('Last name').fill('Lovelace');
  await page.getByLabel('E-mail').fill('ada@example.org');
  await page.getByRole('button', { name: 'Continue to payment' }).click();
  await expect(page).toHaveURL(/\/pay$/);
}

/// Types a card into the provider's card element (localstripe's: plain inputs).
async function typeCard(page: Page, number: string) {
  const card = page.locator('#card-element');
  await card.locator('input[placeholder="number"]').fill(number);
  await card.locator('input[placeholder="exp_month"]').fill('12');
  await card.locator('input[placeholder="exp_year"]').fill('30');
  await card.locator('input[placeholder="cvc"]').fill('123');
}

/// Fetches `href` from the page (Node does not resolve *.localhost; the browser does).
async function fetchInPage(page: Page, href: string) {
  return page.evaluate(async (url) => {
    const r = await fetch(url);
    const body = new TextDecoder('latin1').decode(await r.arrayBuffer());
    return { status: r.status, type: r.headers.get('content-type'), body };
  }, href);
}

test('a buyer pays a CUBE performance and a MOSA visit in one cart, downloads both tickets, and the back office counts both orders', async ({
  page,
}) => {
  await page.goto(`${resell}/?lang=en`);
  await expect(page.getByRole('heading', { name: "What's on" })).toBeVisible();
  await expect(page.locator('.rs-card-inst', { hasText: 'Cube Theatre' }).first()).toBeVisible();
  await expect(page.locator('.rs-card-inst', { hasText: 'Museum of Science and Art' }).first()).toBeVisible();
  await expectAccessible(page);

  await addCubePerformance(page);
  await addMosaVisit(page);
  await expect(page.getByRole('heading', { name: 'Cube Theatre' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Museum of Science and Art' })).toBeVisible();
  await expect(page.locator('.rs-hold')).toContainText('held for');
  await expectAccessible(page);

  await checkout(page);
  // two currencies: two charges, one card
  await expect(page.locator('#pay-charges li')).toHaveCount(2);
  await expect(page.getByText('charged once per currency')).toBeVisible();
  await typeCard(page, '4242 4242 4242 4242');
  await expectAccessible(page);
  await page.locator('#pay-button').click();

  await expect(page).toHaveURL(/\/orders\/co_[0-9a-f]+\?access=/, { timeout: 20_000 });
  await expect(page.getByRole('heading', { name: 'Thank you for your order' })).toBeVisible();
  await expect(page.locator('.rs-order-part .rs-ok')).toHaveCount(2, { timeout: 15_000 });
  await expectAccessible(page);
  const pdfs = await page.locator('a[href*="/tickets.pdf"]').evaluateAll((as) =>
    as.map((a) => (a as HTMLAnchorElement).getAttribute('href')!),
  );
  expect(pdfs).toHaveLength(2);
  for (const href of pdfs) {
    const r = await fetchInPage(page, href);
    expect(r.status, href).toBe(200);
    expect(r.type).toBe('application/pdf');
    expect(r.body.slice(0, 5)).toBe('%PDF-');
  }
  const orders = await page.locator('.rs-order-part .rs-ok').allTextContents();
  const numbers = orders.map((t) => t.match(/order (\d+)/)![1]);
  await page.goto(`${resell}/cart`);
  await expect(page.getByText('Your cart is empty.')).toBeVisible();

  // the back office: a staff login, then the statement lists both orders
  await page.goto(`${resell}/office`);
  await page.getByLabel('User name').fill('office');
  await page.getByLabel('Password').fill('office-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Statement' })).toBeVisible();
  for (const n of numbers) {
    await expect(page.getByRole('cell', { name: n, exact: true })).toBeVisible();
  }
  await expectAccessible(page);
  const csv = await fetchInPage(page, (await page.getByRole('link', { name: 'Download as CSV' }).getAttribute('href'))!);
  expect(csv.status).toBe(200);
  for (const n of numbers) expect(csv.body).toContain(`,${n},PENDING_ACCOUNT,`);
});

// A refused card logs the provider's 402 in the console: expected here, nothing else is.
base('a refused card, then a good one', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 402/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  await addCubePerformance(page, 1);
  await checkout(page);
  await expect(page.locator('#pay-charges li')).toHaveCount(1);
  await typeCard(page, '4000 0000 0000 0002');
  await page.locator('#pay-button').click();
  await expect(page.locator('#card-errors')).toContainText('declined');
  await expect(page.locator('#pay-button')).toBeEnabled();
  await expect(page).toHaveURL(/\/pay$/);
  await typeCard(page, '4242 4242 4242 4242');
  await page.locator('#pay-button').click();
  await expect(page).toHaveURL(/\/orders\/co_/, { timeout: 20_000 });
  await expect(page.locator('.rs-order-part .rs-ok')).toHaveCount(1, { timeout: 15_000 });
  expect(errors).toEqual([]);
});

test('without JavaScript the buyer still browses, fills the cart and reaches checkout', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  try {
    await addCubePerformance(page, 1);
    await page.getByRole('link', { name: 'Checkout' }).click();
    await page.getByLabel('First name').fill('Ada');
    await page.getByLabel('Last name').fill('Lovelace');
    await page.getByLabel('E-mail').fill('ada@example.org');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await expect(page).toHaveURL(/\/pay$/);
    await expect(page.getByText('Card payment needs JavaScript in this page.')).toBeVisible();
    // the buyer changes their mind: the payment is cancelled and the cart can change again
    await page.getByRole('button', { name: 'Cancel the payment and change my cart' }).click();
    await expect(page).toHaveURL(/\/cart$/);
    await page.getByRole('button', { name: /^Remove/ }).first().click();
    await expect(page.getByText('Your cart is empty.')).toBeVisible();
  } finally {
    await context.close();
  }
});

test('the storefront speaks French and fits a phone', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${resell}/?lang=fr`);
  await expect(page.getByRole('heading', { name: 'Programme' })).toBeVisible();
  await expect(page.getByText(/offres? en vente/)).toBeVisible();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(390);
  await expectAccessible(page);
});
