import { test, expect, hydrated } from './fixtures';

// Login with S-360 as the OpenID Connect provider (PKCE, state, nonce, signed ID token),
// then buy as the logged-in buyer without retyping any details, then log out.
test('buyer logs in with S-360, buys as themself, logs out', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('login-link').click();
  // the identity provider's own page
  await page.getByLabel('E-mail').fill('alice@example.com');
  await page.getByLabel('Password').fill('wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();

  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/$/);
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
  await expect(page.getByTestId('ticket')).toHaveCount(1);

  await page.getByRole('button', { name: 'Log out' }).click();
  // back from the provider's logout, which may append an empty query
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/\??$/);
  await expect(page.getByTestId('login-link')).toBeVisible();
});

test('a forged login callback is refused', async ({ page }) => {
  const res = await page.goto('/auth/callback?code=x&state=y');
  expect(res?.status()).toBe(400);
  await expect(page.getByRole('alert')).toContainText('log in again');
});

test('login never redirects off-site', async ({ page }) => {
  await page.goto('/login?return=//evil.example/');
  await page.getByLabel('E-mail').fill('bob@example.com');
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/$/);
  await expect(page.getByTestId('user-name')).toHaveText('Bob Keller');
});
