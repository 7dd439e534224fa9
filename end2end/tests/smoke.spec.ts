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

  const toggle = page.getByTestId('toggle-programme');
  await expect(toggle).toHaveText('Show 1 more');
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(page.locator('#more-products')).toBeHidden();

  await toggle.click();
  await expect(toggle).toHaveText('Show fewer');
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await expect(page.locator('#more-products')).toBeVisible();
  await expect(page.locator('#more-products .card')).toHaveCount(1);
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
