import { test, expect, hydrated, expectAccessible } from './fixtures';

// The programme: search, filters, pages and the month calendar, each a shareable URL that also
// works without JavaScript.
const port = Number(process.env.SHOP_E2E_PORT ?? 3100);
const play = `http://play.localhost:${port}`;
const cube = `http://cube.localhost:${port}`;

test('PLAY: the season is paged, searched and filtered', async ({ page, consoleErrors }) => {
  await page.goto(`${play}/?lang=en`);
  await hydrated(page);
  await expect(page.getByTestId('product-count')).toContainText('11 products on sale');
  const pager = page.getByRole('navigation', { name: 'Pages' });
  await expect(pager).toContainText('Page 1 of 2');
  await expect(page.locator('.card')).toHaveCount(8);
  // grouped: the season ticket first, then the matches
  await expect(page.getByRole('heading', { level: 2, name: 'Season ticket' })).toBeVisible();
  await expectAccessible(page);

  // page 2 (client-side navigation once hydrated)
  await pager.getByRole('link', { name: 'Next page' }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(pager).toContainText('Page 2 of 2');
  await expect(page.locator('.card')).toHaveCount(3);
  await expect(pager.getByRole('link', { name: 'Page 2' })).toHaveAttribute('aria-current', 'page');

  // search ignores case and accents, and says how many match
  await page.getByLabel('Name or words').fill('mountain ROVERS');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/q=mountain/);
  await expect(page.getByTestId('matching')).toHaveText('1 of 11 match your search');
  await expect(page.locator('.card h3')).toHaveText(['Play FC – Mountain Rovers']);
  await expect(page.getByRole('navigation', { name: 'Pages' })).toHaveCount(0);
  await expectAccessible(page);

  // a kind filter, then clear
  await page.getByRole('link', { name: 'Clear filters' }).click();
  await page.getByLabel('Kind').selectOption({ label: 'Season ticket' });
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page.getByTestId('matching')).toHaveText('1 of 11 match your search');

  // nothing matches: said in words
  await page.goto(`${play}/?lang=en&q=curling`);
  await expect(page.getByTestId('matching')).toHaveText(/Nothing matches your search/);
  // an impossible date is named and ignored, not a 500
  const res = await page.goto(`${play}/?lang=en&from=2026-13-45`);
  expect(res?.status()).toBe(200);
  await expect(page.getByRole('status').first()).toContainText('“2026-13-45” is not a date');
  expect(consoleErrors).toEqual([]);
});

test('PLAY: dates narrow the list; the month calendar links to the matches', async ({ page, consoleErrors }) => {
  await page.goto(`${play}/?lang=en`);
  await hydrated(page);
  // the first two matches are 4 and 18 days from now: a range holding only the first one
  const day = (n: number) => {
    const d = new Date(Date.now() + n * 86400000);
    return d.toISOString().slice(0, 10);
  };
  await page.getByLabel('From', { exact: true }).fill(day(0));
  await page.getByLabel('To', { exact: true }).fill(day(10));
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page.getByTestId('matching')).toContainText(/^[12] of 11/);

  await page.goto(`${play}/?lang=en`);
  await page.getByRole('link', { name: 'Month calendar' }).click();
  const calendar = page.getByTestId('calendar');
  await expect(calendar).toBeVisible();
  await expect(page.getByRole('link', { name: 'Month calendar' })).toHaveAttribute('aria-current', 'page');
  // every match of the month is in its day cell, with its time and availability in words
  const entries = calendar.locator('td.busy li a');
  expect(await entries.count()).toBeGreaterThan(0);
  await expect(entries.first()).toHaveText(/^18:30 Play FC – /);
  await expect(calendar.locator('td.busy .level').first()).toHaveText(/Available|Few places left|Sold out/);
  await expectAccessible(page);
  // the next month with matches
  await page.getByRole('link', { name: /^Next: / }).click();
  await expect(page).toHaveURL(/view=calendar&month=\d{4}-\d{2}/);
  await expect(calendar.locator('td.busy li a').first()).toBeVisible();
  // an entry leads to the match's page
  await calendar.locator('td.busy li a').first().click();
  await expect(page).toHaveURL(/\/event\/\d+\/\d+/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Play FC');
  expect(consoleErrors).toEqual([]);
});

test('without JavaScript the search form and the pages still work', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${cube}/?lang=en`);
  await page.getByLabel('Name or words').fill('hamlet');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/q=hamlet/);
  await expect(page.locator('.card h3')).toHaveText(['Hamlet']);
  await page.getByRole('link', { name: 'Month calendar' }).click();
  await expect(page.getByTestId('calendar').locator('td.busy li a').first()).toContainText('Hamlet');
  await context.close();
});
