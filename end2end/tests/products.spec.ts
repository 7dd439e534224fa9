import { test, expect, hydrated, expectAccessible } from './fixtures';
import type { Page } from '@playwright/test';

// Product pages for what is not a dated event: MOSA's visit pass (a day in the calendar, then a
// time slot), its year pass and audio guide, PLAY's season ticket. Chromium asks for English.
const port = Number(process.env.SHOP_E2E_PORT ?? 3100);
const mosa = `http://mosa.localhost:${port}`;
const play = `http://play.localhost:${port}`;

const visitName = 'Permanent collection & Light and Matter exhibition';

/// Presses Tab until the focused element matches `selector`; checks its focus is visible.
async function tabTo(page: Page, selector: string, max = 250) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const hit = await page.evaluate(
      (s) => document.activeElement?.matches(s) ?? false,
      selector,
    );
    if (hit) {
      const outline = await page.evaluate(
        () => getComputedStyle(document.activeElement as Element).outlineStyle,
      );
      expect(outline, `visible focus on ${selector}`).not.toBe('none');
      return;
    }
  }
  throw new Error(`${selector} was never reached with the keyboard`);
}

/// A bookable day after today (today's earlier slots may be over): the month's second bookable
/// day, or the next month's first when today is the month's last bookable day.
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

test('MOSA: a visit pass for a day, a time slot and tariffs goes into the cart', async ({ page }) => {
  await page.goto(`${mosa}/`);
  await hydrated(page);
  await page.getByRole('link', { name: visitName }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: visitName })).toBeVisible();
  await expect(page.getByTestId('calendar')).toBeVisible();
  await expect(page.getByTestId('pick-a-day')).toBeVisible();
  // availability in words, not colour alone; Mondays are closed
  await expect(page.getByTestId('calendar')).toContainText('Available');
  await expectAccessible(page);

  // the month is in the URL: the next month can be shared and opened directly
  const next = page.getByTestId('next-month');
  await expect(next).toHaveAttribute('href', /\?month=\d{4}-\d{2}$/);
  // Mondays are closed, in words: in the next month, whose Mondays are all ahead whatever today is
  const here = page.url();
  await next.click();
  await expect(page.getByTestId('calendar')).toContainText('Closed');
  await page.goto(here);

  const day = await bookableDay(page);
  const date = await day.getAttribute('data-date');
  await day.click();
  await expect(page).toHaveURL(new RegExp(`date=${date}`));
  await expect(page.getByRole('heading', { name: /^Time slots on / })).toBeVisible();
  await expect(page.locator('a[aria-current="date"]')).toHaveCount(1);
  await hydrated(page);
  await expectAccessible(page);

  // guided tours are offered in some slots; the English one is at 11:00
  await expect(page.locator('.slot .tour', { hasText: 'Guided tour in English' })).toHaveCount(1);
  await expect(page.getByRole('radio')).toHaveCount(16);
  // narrowed to the slots with an English tour (a plain GET form: the filter is in the URL)
  await page.getByLabel('Guided tour', { exact: true }).selectOption('en');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/tour=en/);
  await expect(page.getByRole('radio')).toHaveCount(1);
  await hydrated(page);
  await expectAccessible(page);
  await page.getByRole('radio', { name: /11:00–11:30/ }).check();
  await page.getByLabel(/^Adult/).fill('2');
  await page.getByLabel(/^Child/).fill('1');
  await page.getByTestId('add-product').click();

  await expect(page).toHaveURL(/\/cart$/);
  const lines = page.getByTestId('cart-line');
  await expect(lines).toHaveCount(2);
  await expect(lines.first().getByTestId('cart-when')).toContainText('11:00–11:30');
  await expect(lines.first()).toContainText('Guided tour in English');
  await expect(page.getByTestId('hold-timer')).toBeVisible();
  // 2 × CHF 18.00 + a free child + CHF 2.00 booking fee
  await expect(page.getByTestId('cart-total')).toHaveText('CHF\u00a038.00');
  await expectAccessible(page);
});

test('MOSA: the year pass and the audio guide go into the cart', async ({ page }) => {
  await page.goto(`${mosa}/`);
  await hydrated(page);
  await page.getByRole('link', { name: 'Museum pass (one year)' }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: 'Museum pass (one year)' })).toBeVisible();
  await expect(page.getByTestId('validity')).toHaveText('Valid 365 days from purchase.');
  await hydrated(page);
  await expectAccessible(page);
  await page.getByLabel(/^Adult/).fill('1');
  await page.getByTestId('add-product').click();
  await expect(page).toHaveURL(/\/cart$/);
  await expect(page.getByTestId('cart-line')).toHaveCount(1);
  await expect(page.getByTestId('cart-line')).toContainText('Valid 365 days from purchase.');

  await page.goto(`${mosa}/`);
  await page.getByRole('link', { name: 'Audio guide' }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: 'Audio guide' })).toBeVisible();
  await hydrated(page);
  await expectAccessible(page);
  await page.getByLabel(/^Adult/).fill('2');
  await page.getByTestId('add-product').click();
  await expect(page).toHaveURL(/\/cart$/);
  await expect(page.getByTestId('cart-line')).toHaveCount(2);
  await expect(page.getByTestId('cart-line').nth(1)).toContainText('Audio guide');
  // CHF 90.00 + 2 × CHF 6.00 + CHF 2.00
  await expect(page.getByTestId('cart-total')).toHaveText('CHF\u00a0104.00');
  await expectAccessible(page);
});

test('PLAY: a season ticket holds the same seat on every match', async ({ page }) => {
  await page.goto(`${play}/?family=season&lang=en`);
  await hydrated(page);
  await page.getByRole('link', { name: 'Season ticket 2026/27' }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: 'Season ticket 2026/27' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Included: 10 dates' })).toBeVisible();
  await expect(page.getByTestId('included').locator('li')).toHaveCount(10);
  await hydrated(page);
  await expectAccessible(page);
  await page.getByRole('radio', { name: /Main stand/ }).check();
  await page.getByLabel(/^Adult/).fill('1');
  await page.getByTestId('add-product').click();
  await expect(page).toHaveURL(/\/cart$/);
  const line = page.getByTestId('cart-line');
  await expect(line).toHaveCount(1);
  await expect(line).toContainText('Season ticket 2026/27');
  await expect(line).toContainText('10 dates, same seat');
  await expect(line.locator('.seats li')).toHaveCount(1);
  await expect(line.locator('.line-details li')).toHaveCount(10);
  await expectAccessible(page);
});

test('MOSA: a visit pass booked with the keyboard only', async ({ page }) => {
  await page.goto(`${mosa}/`);
  await hydrated(page);
  const href = await page.getByRole('link', { name: visitName }).first().getAttribute('href');
  await page.goto(`${mosa}${href}`);
  await hydrated(page);
  const date = await (await bookableDay(page)).getAttribute('data-date');
  await tabTo(page, `[data-testid="calendar"] a.day[data-date="${date}"]`);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`date=${date}`));
  await expect(page.getByRole('heading', { name: /^Time slots on / })).toBeVisible();
  await hydrated(page);
  await tabTo(page, '.slots input[type="radio"]:not([disabled])');
  await page.keyboard.press('Space');
  await expect(page.locator('.slots input[type="radio"]:checked')).toHaveCount(1);
  await tabTo(page, '.tariffs input[type="number"]');
  await page.keyboard.press('ArrowUp');
  await tabTo(page, '[data-testid="add-product"]');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/cart$/);
  await expect(page.getByTestId('cart-line')).toHaveCount(1);
  await expect(page.getByTestId('cart-when')).toContainText(/\d\d:\d\d–\d\d:\d\d/);
  await expectAccessible(page);
});

test('MOSA: without JavaScript, the server refuses too many tickets in words', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${mosa}/`);
  await page.getByRole('link', { name: visitName }).first().click();
  const day = await bookableDay(page);
  await day.click();
  await expect(page.getByRole('heading', { name: /^Time slots on / })).toBeVisible();
  await page.getByRole('radio', { name: /10:30–11:00/ }).check();
  await page.getByLabel(/^Adult/).fill('25');
  await page.getByTestId('add-product').click();
  // back on the same day, with the message
  await expect(page.getByRole('heading', { name: /^Time slots on / })).toBeVisible();
  await expect(page.getByTestId('product-error')).toContainText('You can buy at most 20 tickets at once.');
  // no slot chosen: said as well
  await page.getByLabel(/^Adult/).fill('1');
  await page.getByTestId('add-product').click();
  await expect(page.getByTestId('product-error')).toContainText('Please choose a time slot.');
  await page.getByRole('radio', { name: /10:30–11:00/ }).check();
  await page.getByLabel(/^Adult/).fill('1');
  await page.getByTestId('add-product').click();
  await expect(page).toHaveURL(/\/cart$/);
  await expect(page.getByTestId('cart-when')).toContainText('10:30–11:00');
  await context.close();
});
