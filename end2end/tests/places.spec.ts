import { test, expect, hydrated } from './fixtures';
import type { Browser, Page } from '@playwright/test';

// What a buyer counts on: places held or released through this shop show at once on the pages
// that count them, refusals say "1 place" (not "1 places") in every language, and a refusal
// of a hydrated page's server function is a 4xx with its words (as without JavaScript).
const port = Number(process.env.SHOP_E2E_PORT ?? 3100);
const mosa = `http://mosa.localhost:${port}`;
const visitName = 'Permanent collection & Light and Matter exhibition';

/// A bookable day after today (as in products.spec.ts).
async function bookableDay(page: Page) {
  const days = page.getByTestId('calendar').locator('a.day');
  await expect(days.first()).toBeVisible();
  if ((await days.count()) > 1) return days.nth(1);
  await page.getByTestId('next-month').click();
  await expect(page).toHaveURL(/month=\d{4}-\d{2}/);
  const next = page.getByTestId('calendar').locator('a.day');
  await expect(next.first()).toBeVisible();
  return next.first();
}

/// The day page of the visit pass and its last slot (the one other journeys leave alone).
async function dayAndSlot(page: Page) {
  await page.goto(`${mosa}/`);
  await page.getByRole('link', { name: visitName }).first().click();
  const day = await bookableDay(page);
  await day.click();
  await expect(page.getByRole('heading', { name: /^Time slots on / })).toBeVisible();
  const slot = page.locator('.slot:not(.sold-out)').last();
  const time = (await slot.locator('.time').innerText()).trim();
  return { url: page.url(), time };
}

/// The places the day page says are left in the slot starting at `time`.
async function left(page: Page, time: string) {
  const text = await page.locator('.slot', { hasText: time }).locator('.level').innerText();
  const n = text.match(/\d+/);
  expect(n, `a count in "${text}"`).not.toBeNull();
  return { n: Number(n![0]), text };
}

/// Another buyer (a browser of their own, without JavaScript) holds `count` adult places.
async function hold(browser: Browser, url: string, time: string, count: number) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(url);
  await page.locator('.slot', { hasText: time }).locator('input[type=radio]').check();
  await page.getByLabel(/^Adult/).fill(String(count));
  await page.getByTestId('add-product').click();
  await expect(page).toHaveURL(/\/cart$/);
  return { context, page };
}

/// Drops the browser's "Failed to load resource: ... 4xx" line: a refusal answered with its
/// status is what this test wants, not a console error of the page.
function forgiveRefusals(errors: string[], status: number) {
  for (let i = errors.length - 1; i >= 0; i--) {
    if (errors[i].includes(`status of ${status}`)) errors.splice(i, 1);
  }
}

test('MOSA: holds and releases from other carts show at once, in the singular for one place', async ({
  page,
  browser,
  consoleErrors,
}) => {
  const { url, time } = await dayAndSlot(page);
  const before = await left(page, time);
  expect(before.n).toBeGreaterThan(2);

  // other buyers hold all but one place (at most 20 a cart)
  const others = [];
  let toHold = before.n - 1;
  while (toHold > 0) {
    const n = Math.min(20, toHold);
    others.push({ ...(await hold(browser, url, time, n)), n });
    toHold -= n;
  }

  // the day page counts them at once, in the singular
  await page.goto(url);
  await hydrated(page);
  await expect(page.locator('.slot', { hasText: time }).locator('.level')).toHaveText('1 place left');

  // asking 3 is refused in words, with the refusal's status (hydrated: the server function)
  await page.locator('.slot', { hasText: time }).locator('input[type=radio]').check();
  await page.getByLabel(/^Adult/).fill('3');
  const refused = page.waitForResponse((r) => r.url().includes('/api/add_product'));
  await page.getByTestId('add-product').click();
  const res = await refused;
  expect(res.status()).toBe(422);
  await expect(page.getByTestId('product-error')).toContainText('Only 1 place is left for this choice.');
  forgiveRefusals(consoleErrors, 422);

  // in French and German too
  for (const [lang, words] of [
    ['fr', '1 place restante'],
    ['de', 'Noch 1 Platz'],
  ]) {
    const other = await browser.newContext({ javaScriptEnabled: false });
    const p = await other.newPage();
    await p.goto(`${url}&lang=${lang}`);
    await expect(p.locator('.slot', { hasText: time }).locator('.level')).toHaveText(words);
    await other.close();
  }

  // one buyer removes their line: the places are back at once
  const first = others[0];
  await first.page.getByRole('button', { name: /^Remove/ }).first().click();
  await expect(first.page.getByTestId('cart-empty')).toBeVisible();
  await page.goto(url);
  await expect(page.locator('.slot', { hasText: time }).locator('.level')).toHaveText(
    `${1 + first.n} places left`,
  );
  for (const o of others) await o.context.close();
});

test('MOSA: too many tickets is a 422 with its words, with JavaScript as without', async ({
  page,
  consoleErrors,
}) => {
  const { time } = await dayAndSlot(page);
  await hydrated(page);
  await page.locator('.slot', { hasText: time }).locator('input[type=radio]').check();
  await page.getByLabel(/^Adult/).fill('25');
  const refused = page.waitForResponse((r) => r.url().includes('/api/add_product'));
  await page.getByTestId('add-product').click();
  const res = await refused;
  expect(res.status()).toBe(422);
  expect(await res.text()).toContain('You can buy at most 20 tickets at once.');
  await expect(page.getByTestId('product-error')).toContainText('You can buy at most 20 tickets at once.');
  forgiveRefusals(consoleErrors, 422);
});
