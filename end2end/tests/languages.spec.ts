import { test, expect, hydrated, expectAccessible } from './fixtures';

// Each institution under its own host name, brand and default language; the buyer switches
// language on any page, by mouse or keyboard, and the choice follows them through the shop.
const port = Number(process.env.SHOP_E2E_PORT ?? 3100);
const mosa = `http://mosa.localhost:${port}`;
const play = `http://play.localhost:${port}`;

test('a buyer switches to French and stays in French from page to page', async ({ page, consoleErrors }) => {
  await page.goto(`${mosa}/`);
  // Chromium asks for English first: the museum's default (French) gives way to it
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByTestId('product-count')).toContainText('3 products on sale');
  await expect(page.locator('.site-header .logo')).toHaveAttribute('src', '/brands/mosa.svg');
  await hydrated(page);

  await page.getByTestId('lang-fr').click();
  await expect(page).toHaveURL(`${mosa}/?lang=fr`);
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  await expect(page.getByTestId('institution-name')).toHaveText('Musée des sciences et des arts');
  await expect(page.getByTestId('product-count')).toContainText('3 produits en vente');
  await expect(page.getByTestId('lang-fr')).toHaveAttribute('aria-current', 'true');
  // the institution's footer links in French too
  const footer = page.locator('.site-footer nav');
  await expect(footer.getByRole('link', { name: 'Conditions de vente' })).toBeVisible();
  await expect(footer.getByRole('link', { name: 'Confidentialité' })).toBeVisible();
  await expect(footer).not.toContainText('Terms of sale');
  await hydrated(page);
  // still French once hydrated (the browser renders the same words)
  await expect(footer.getByRole('link', { name: 'Conditions de vente' })).toBeVisible();
  await expectAccessible(page);

  // the cookie keeps French on the next pages, including data fetched after hydration
  await page.getByRole('link', { name: 'Panier' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Votre panier');
  await page.goto(`${mosa}/`);
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  await expectAccessible(page);
  expect(consoleErrors).toEqual([]);
});

test('keyboard only: skip link, then German from the language switcher', async ({ page, consoleErrors }) => {
  await page.goto(`${play}/?lang=en`);
  await hydrated(page);
  await page.keyboard.press('Tab');
  await expect(page.locator('.skip-link')).toBeFocused();
  // tab to the German link and follow it with Enter
  for (let i = 0; i < 15; i++) {
    await page.keyboard.press('Tab');
    if (await page.getByTestId('lang-de').evaluate((el) => el === document.activeElement)) break;
  }
  await expect(page.getByTestId('lang-de')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('html')).toHaveAttribute('lang', 'de');
  await expect(page.getByTestId('product-count')).toContainText('Angebote im Verkauf');
  await expect(page.locator('.site-footer nav').getByRole('link', { name: 'AGB' })).toBeVisible();
  // a date in German on an event page
  await page.locator('.card h3 a[href^="/event/"]').first().focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 2, name: 'Termine' })).toBeVisible();
  await expect(page.locator('.performance .when').first()).toContainText(/(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag), \d+\. /);
  await expectAccessible(page);
  expect(consoleErrors).toEqual([]);
});

test('each institution publishes robots.txt and its sitemap', async ({ page }) => {
  // through the browser: Node does not resolve *.localhost, Chromium does
  await page.goto(`${play}/robots.txt`);
  await expect(page.locator('body')).toContainText(`Sitemap: ${play}/sitemap.xml`);
  const sitemap = await page.goto(`${play}/sitemap.xml`);
  expect(sitemap?.status()).toBe(200);
  expect(await sitemap?.text()).toContain(`<loc>${play}/</loc>`);
});
