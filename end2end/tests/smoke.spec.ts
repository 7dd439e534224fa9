import { test, expect, hydrated, expectAccessible } from './fixtures';

test('the server renders the institution from the sandbox catalog', async ({ request }) => {
  const res = await request.get('/');
  expect(res.status()).toBe(200);
  const html = await res.text();
  // server-rendered, before any script runs
  expect(html).toContain('Cube Theatre');
  expect(html).toMatch(/4 products on sale/);
  expect(html).toContain('/pkg/shop.js');
});

test('home page hydrates and its control reacts', async ({ page, consoleErrors }) => {
  await page.goto('/');
  await expect(page.getByTestId('institution-name')).toHaveText('Cube Theatre');
  await expect(page.getByTestId('product-count')).toContainText('4 products on sale');
  await hydrated(page);

  // the filter panel folds away once the page is interactive
  const toggle = page.getByTestId('toggle-filters');
  await expect(toggle).toHaveText('Hide filters');
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByRole('search')).toBeVisible();

  await toggle.click();
  await expect(toggle).toHaveText('Show filters');
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(page.locator('#filters')).toBeHidden();
  await toggle.click();
  await expect(page.getByRole('search')).toBeVisible();
  await expectAccessible(page);
  expect(consoleErrors).toEqual([]);
});

test('health and readiness endpoints', async ({ request }) => {
  expect((await request.get('/healthz')).status()).toBe(200);
  const ready = await request.get('/readyz');
  expect(ready.status()).toBe(200);
  const metrics = await (await request.get('/metrics')).text();
  expect(metrics).toContain('s360_calls_total{institution="CUBE",service="catalogService",method="getCatalogDetailed"} 1');
});

test('unknown pages answer 404 with a way back', async ({ page }) => {
  const res = await page.goto('/no-such-page');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});
