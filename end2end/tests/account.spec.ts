import { test, expect, hydrated, expectAccessible } from './fixtures';
import { Page } from '@playwright/test';

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

// ---------------------------------------------------------------------------------------------
// PLAY uses a third-party OpenID Connect provider (node-oidc-provider, end2end/oidc/provider.mjs)

const port = Number(process.env.SHOP_E2E_PORT ?? 3100);
const oidcPort = Number(process.env.OIDC_E2E_PORT ?? port + 100); // as playwright.config.ts
const play = `http://play.localhost:${port}`;

test('a PLAY buyer logs in with the third-party provider, is linked to an S-360 contact, logs out', async ({
  page,
}) => {
  await page.goto(`${play}/`);
  await page.getByTestId('login-link').click();
  // node-oidc-provider's own login form, on its own origin
  await expect(page).toHaveURL(new RegExp(`^http://127\\.0\\.0\\.1:${oidcPort}/`));
  await page.getByPlaceholder('Enter any login').fill('carla');
  await page.getByPlaceholder('and password').fill('any');
  await page.getByRole('button', { name: 'Sign-in' }).click();

  await expect(page).toHaveURL(`${play}/`);
  // the name of the S-360 contact the shop linked (created at the first login) by e-mail
  await expect(page.getByTestId('user-name')).toHaveText('Carla Rossi');
  await page.goto(`${play}/account`);
  await expect(page.getByLabel('E-mail', { exact: true })).toHaveValue('carla@example.com');
  await expect(page.getByText(`You log in with 127.0.0.1:${oidcPort}`)).toBeVisible();

  // RP-initiated logout at the provider (its end_session_endpoint), then back to the shop
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(new RegExp(`^http://127\\.0\\.0\\.1:${oidcPort}/session/end`));
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await expect(page).toHaveURL(new RegExp(`^${play.replace(/\./g, '\\.')}/\\??$`));
  await expect(page.getByTestId('login-link')).toBeVisible();

  // the provider's session ended too: logging in again asks for the login again
  await page.getByTestId('login-link').click();
  await expect(page.getByPlaceholder('Enter any login')).toBeVisible();
});

// ---------------------------------------------------------------------------------------------
// The profile page (MOSA, S-360 as identity provider)

const mosa = `http://mosa.localhost:${port}`;

async function loginAtMosa(page: Page, email: string) {
  await page.goto(`${mosa}/account`);
  // not logged in: the login, then back to /account
  await expect(page).toHaveURL(/\/MOSA\/oidc\/authorize\?/);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${mosa}/account`);
}

test('the profile is edited, validated and kept in S-360', async ({ page, consoleErrors, browser }) => {
  await loginAtMosa(page, 'bob@example.com');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'My account', level: 1 })).toBeVisible();
  await expect(page.getByLabel('First name')).toHaveValue('Bob');
  await expect(page.getByLabel('Last name')).toHaveValue('Keller');
  await expectAccessible(page);

  // invalid input: clear messages, linked to their fields, nothing saved
  await page.getByLabel('First name').fill('');
  await page.getByLabel('Phone (optional)').fill('call me');
  await page.getByTestId('save-profile').click();
  const errors = page.getByTestId('profile-errors');
  await expect(errors).toContainText('First name is required.');
  await expect(errors).toContainText('Please enter a phone number');
  await expect(page.getByLabel('First name')).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page);

  // a good edit: name, phone, a separate delivery address, newsletter
  await page.getByLabel('First name').fill('Robert');
  await page.getByLabel('Phone (optional)').fill('+41 44 555 09 09');
  const ship = page.getByTestId('address-shipment');
  await ship.getByLabel(/Same as the main address/).uncheck();
  await ship.getByLabel('Street and number').fill('Seestrasse 5');
  await ship.getByLabel('Postcode').fill('8002');
  await ship.getByLabel('Town').fill('Zürich');
  await ship.getByLabel('Country').selectOption('CH');
  await page.getByLabel('Send me the newsletter with the programme').check();
  await page.getByTestId('save-profile').click();
  await expect(page.getByTestId('profile-saved')).toBeVisible();
  await expect(page.getByTestId('user-name')).toHaveText('Robert Keller');

  // a reload shows what S-360 has
  await page.reload();
  await expect(page.getByLabel('First name')).toHaveValue('Robert');
  await expect(page.getByLabel('Phone (optional)')).toHaveValue('+41 44 555 09 09');
  await expect(ship.getByLabel('Street and number')).toHaveValue('Seestrasse 5');
  await expect(ship.getByLabel(/Same as the main address/)).not.toBeChecked();
  await expect(page.getByLabel('Send me the newsletter with the programme')).toBeChecked();

  // S-360 itself has it: its identity provider now greets the buyer by the new name
  const other = await browser.newContext();
  const fresh = await other.newPage();
  await loginAtMosa(fresh, 'bob@example.com');
  await expect(fresh.getByTestId('user-name')).toHaveText('Robert Keller');
  await expect(fresh.getByLabel('Phone (optional)')).toHaveValue('+41 44 555 09 09');
  await other.close();
  expect(consoleErrors).toEqual([]);
});


test('the profile form works without JavaScript', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await loginAtMosa(page, 'alice@example.com');
  await page.getByLabel('E-mail', { exact: true }).fill('not-an-address');
  await page.getByTestId('save-profile').click();
  await expect(page.getByTestId('profile-errors')).toContainText('Please enter a valid e-mail address');
  await page.getByLabel('Last name').fill('Martin-Dupont');
  await page.getByTestId('save-profile').click();
  await expect(page.getByTestId('profile-saved')).toBeVisible();
  await expect(page.getByLabel('Last name')).toHaveValue('Martin-Dupont');
  await context.close();
});

test('a buyer deletes their account after a confirmation', async ({ page }) => {
  // Carla at PLAY (third-party provider): her S-360 contact was created by the link above
  await page.goto(`${play}/account`);
  await page.getByPlaceholder('Enter any login').fill('carla');
  await page.getByPlaceholder('and password').fill('any');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await expect(page).toHaveURL(`${play}/account`);
  const number = await page.getByText(/Customer number/).textContent();
  await page.getByTestId('delete-account').click();
  await expect(page.getByRole('heading', { name: 'Delete my account', level: 1 })).toBeVisible();
  await expect(page.getByText('tickets you already bought stay valid')).toBeVisible();
  await expectAccessible(page);
  await page.getByTestId('confirm-delete').click();
  // the provider's session ends too (RP-initiated logout), then the shop confirms
  await expect(page).toHaveURL(new RegExp(`^http://127\\.0\\.0\\.1:${oidcPort}/session/end`));
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await expect(page).toHaveURL(new RegExp(`^${play.replace(/\./g, '\\.')}/account/deleted\\??$`));
  await expect(page.getByTestId('account-deleted')).toHaveText('Your account was deleted');
  await expect(page.getByTestId('login-link')).toBeVisible();
  await expectAccessible(page);
  // the contact was anonymised at S-360: the next login (asked again by the provider) links a
  // new, empty customer account
  await page.goto(`${play}/account`);
  await page.getByPlaceholder('Enter any login').fill('carla');
  await page.getByPlaceholder('and password').fill('any');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await expect(page).toHaveURL(`${play}/account`);
  await expect(page.getByLabel('First name')).toHaveValue('Carla');
  await expect(page.getByText(/Customer number/)).not.toHaveText(number ?? '');
});
