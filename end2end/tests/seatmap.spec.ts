import { test, expect, hydrated, expectAccessible } from './fixtures';
import type { Page } from '@playwright/test';

// axe-core takes several seconds over a map of 544 seats and its list
test.describe.configure({ timeout: 120_000 });

// CUBE's seat map: a buyer picks seats on the map with the mouse, with the keyboard only, or
// without JavaScript from the list of free seats; a seat someone else took meanwhile is
// refused with a message. Each journey uses its own performance (never the first one of a
// production, which the subscription sells) so that they do not take each other's seats.

/// Home -> event -> the `nth` performance of `show` -> its seat map, checked with axe on the way.
async function openPerformance(page: Page, show: string, nth: number, axe = true) {
  await page.goto('/');
  await page.getByRole('link', { name: show }).click();
  await expect(page.getByRole('heading', { level: 1, name: show })).toBeVisible();
  if (axe) await expectAccessible(page);
  await page.getByRole('link', { name: /Choose seats for/ }).nth(nth).click();
  await expect(page.getByRole('heading', { name: 'Seat categories' })).toBeVisible();
  if (axe) await expectAccessible(page);
  // the second way to choose, beside best available
  await page.getByTestId('open-seat-map').click();
  await expect(page.getByRole('heading', { name: 'Choose your seats on the map' })).toBeVisible();
  await expect(page).toHaveURL(/\?map=1#seatmap$/);
}

/// A seat of the map by the start of its accessible name ("Stalls, row 5, seat 10").
function seat(page: Page, place: string) {
  return page.getByTestId('seat-map').getByRole('button', { name: new RegExp(`^${place},`) });
}

test('seats picked on the map with the mouse go to the cart', async ({ page }) => {
  await openPerformance(page, 'La Traviata', 1);
  await hydrated(page);
  await expectAccessible(page);
  await expect(page.getByText(/^\d+ free seats\./)).toBeVisible();

  await seat(page, 'Stalls, row 5, seat 10').click();
  await seat(page, 'Stalls, row 5, seat 11').click();
  await expect(seat(page, 'Stalls, row 5, seat 10')).toHaveAttribute('aria-pressed', 'true');
  await expect(seat(page, 'Stalls, row 5, seat 11')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('seat-selection')).toContainText('2 seats chosen');
  // a second click releases a seat, a third takes it again
  await seat(page, 'Stalls, row 5, seat 11').click();
  await expect(seat(page, 'Stalls, row 5, seat 11')).toHaveAttribute('aria-pressed', 'false');
  await seat(page, 'Stalls, row 5, seat 11').click();
  // the list of free seats follows the map
  await page.locator('summary', { hasText: 'List of free seats' }).click();
  await expect(page.getByRole('checkbox', { name: /^Stalls, row 5, seat 10,/ })).toBeChecked();
  await expectAccessible(page);

  // zoom buttons (JavaScript) enlarge the map inside its frame
  const before = (await page.getByTestId('seat-map').boundingBox())!.width;
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await expect
    .poll(async () => (await page.getByTestId('seat-map').boundingBox())!.width)
    .toBeGreaterThan(before * 1.4);
  await page.getByRole('button', { name: 'Whole map' }).click();

  await page.getByTestId('add-seats').click();
  await expect(page).toHaveURL(/\/cart$/);
  const line = page.getByTestId('cart-line');
  await expect(line).toHaveCount(1);
  await expect(line).toContainText('Stalls, front');
  await expect(line.locator('.seats li')).toHaveCount(2);
  await expect(line).toContainText(/row 5, seat 10(?!\d)/);
  await expect(line).toContainText(/row 5, seat 11(?!\d)/);
  await expectAccessible(page);
});

test('seats picked on the map with the keyboard only', async ({ page }) => {
  await openPerformance(page, 'La Traviata', 2);
  await hydrated(page);
  // Tab into the map: one stop, on its first free seat
  let inMap = false;
  for (let i = 0; i < 60 && !inMap; i++) {
    await page.keyboard.press('Tab');
    inMap = await page.evaluate(() => !!document.activeElement?.hasAttribute('data-seat'));
  }
  expect(inMap, 'Tab reaches the map').toBe(true);
  const focused = page.locator('[data-seat]:focus');
  await expect(focused).toHaveAccessibleName(/^Stalls, row 1, seat 1, Stalls, front, €/);
  expect(await focused.evaluate((el) => el.matches(':focus-visible'))).toBe(true);
  // arrows: down four rows, right to seat 3
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(focused).toHaveAccessibleName(/^Stalls, row 5, seat 3,/);
  await page.keyboard.press('Space');
  await expect(focused).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  await expect(seat(page, 'Stalls, row 5, seat 4')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('seat-selection')).toContainText('2 seats chosen');
  await expectAccessible(page);
  // back to the add button above the map
  let onButton = false;
  for (let i = 0; i < 10 && !onButton; i++) {
    await page.keyboard.press('Shift+Tab');
    onButton = await page
      .getByTestId('add-seats')
      .evaluate((el) => el === document.activeElement);
  }
  expect(onButton, 'Shift+Tab reaches the add button').toBe(true);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/cart$/);
  const line = page.getByTestId('cart-line');
  await expect(line).toContainText(/row 5, seat 3(?!\d)/);
  await expect(line).toContainText(/row 5, seat 4(?!\d)/);
  await expectAccessible(page);
});

test('without JavaScript the list of free seats is the form', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  // axe-core cannot run in a page without JavaScript: these pages are checked with it above
  await openPerformance(page, 'La Traviata', 3, false);
  const performance = page.url();
  await page.locator('summary', { hasText: 'List of free seats' }).click();
  await page.getByRole('checkbox', { name: /^Balcony, row 3, seat 7,/ }).check();
  await page.getByLabel('Tariff for the chosen seats').selectOption({ label: 'Student / senior' });
  await page.getByTestId('add-listed-seats').click();
  await expect(page).toHaveURL(/\/cart$/);
  const line = page.getByTestId('cart-line');
  await expect(line).toContainText('Balcony');
  await expect(line).toContainText('Student / senior');
  await expect(line).toContainText(/row 3, seat 7(?!\d)/);

  // a refusal comes back on the page, in words, without JavaScript too
  await page.goto(performance);
  await page.locator('summary', { hasText: 'List of free seats' }).click();
  await expect(page.getByRole('checkbox', { name: /^Balcony, row 3, seat 7,/ })).toHaveCount(0);
  await page.getByTestId('add-listed-seats').click();
  await expect(page.getByTestId('seat-error')).toContainText(
    'Please choose at least one seat on the map or in the list of free seats.',
  );
  await context.close();
});

test('a seat taken by someone else meanwhile is refused with a message', async ({ page, browser }) => {
  await openPerformance(page, 'Hamlet', 1);
  await hydrated(page);
  await seat(page, 'Balcony, row 2, seat 5').click();
  await seat(page, 'Balcony, row 2, seat 6').click();

  // another buyer takes seat 5 first
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await openPerformance(otherPage, 'Hamlet', 1, false);
  await hydrated(otherPage);
  await seat(otherPage, 'Balcony, row 2, seat 5').click();
  await otherPage.getByTestId('add-seats').click();
  await expect(otherPage).toHaveURL(/\/cart$/);
  await other.close();

  await page.getByTestId('add-seats').click();
  await expect(page.getByTestId('seat-error')).toContainText(
    'Seat Balcony, row 2, seat 5 was just taken: please choose another one.',
  );
  await expect(page).not.toHaveURL(/\/cart$/);
  // the map is read again: seat 5 is shown taken, seat 6 is still free
  await expect(seat(page, 'Balcony, row 2, seat 5')).toHaveCount(0);
  await expect(seat(page, 'Balcony, row 2, seat 6')).toHaveAttribute('aria-pressed', 'false');
  await expectAccessible(page);
  await seat(page, 'Balcony, row 2, seat 6').click();
  await page.getByTestId('add-seats').click();
  await expect(page).toHaveURL(/\/cart$/);
  await expect(page.getByTestId('cart-line')).toContainText(/row 2, seat 6(?!\d)/);
});
