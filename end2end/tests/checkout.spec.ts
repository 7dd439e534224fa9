import { test, expect, hydrated, expectAccessible } from './fixtures';

// Checkout: the delivery modes S-360 offers, with a postal address for tickets sent by post,
// checked on the server with a message per field; the postage is in the amount paid.
const port = Number(process.env.SHOP_E2E_PORT ?? 3100);
const cube = `http://cube.localhost:${port}`;

test('tickets sent by post: the address is asked for, then the postage is paid', async ({
  page,
  consoleErrors,
}) => {
  // the last Nutcracker performance: far enough away for the post
  await page.goto(`${cube}/?lang=en`);
  await page.getByRole('link', { name: 'The Nutcracker' }).click();
  await page.getByRole('link', { name: /Choose seats for/ }).last().click();
  await page.locator('[data-testid^="add-"]').first().click();
  await expect(page).toHaveURL(/\/cart$/);
  await hydrated(page);
  // two tickets proposed; one is enough: the other seat is released
  const line = page.getByTestId('cart-line');
  await expect(line).toContainText('2 ×');
  const before = await page.getByTestId('cart-total').textContent();
  await line.getByTestId('line-units').selectOption('1');
  await line.getByTestId('change-quantity').click();
  await expect(line).toContainText('1 ×');
  await expect(page.getByTestId('cart-total')).not.toHaveText(before!);
  await expect(line.locator('.seats li')).toHaveCount(1);
  await expectAccessible(page);
  const cartTotal = await page.getByTestId('cart-total').textContent();
  await page.getByTestId('to-checkout').click();
  await hydrated(page);

  const delivery = page.getByTestId('delivery');
  await expect(delivery.getByRole('radio')).not.toHaveCount(0);
  // e-tickets by default, free
  await expect(delivery.getByRole('radio').first()).toBeChecked();
  await expectAccessible(page);

  await page.getByLabel('First name').fill('Ada');
  await page.getByLabel('Last name').fill('Lovelace');
  await page.getByLabel('E-mail', { exact: true }).fill('ada@example.com');
  await delivery.getByRole('radio', { name: /^By post/ }).check();
  await page.getByTestId('to-payment').click();
  // no address: said next to the fields, in words
  const errors = page.getByTestId('checkout-errors');
  await expect(errors).toContainText('please give a postal address');
  await expectAccessible(page);

  await page.getByLabel('Street and number').fill('Rue du Rhône 1');
  await page.getByLabel('Postcode').fill('1204');
  await page.getByLabel('Town').fill('Genève');
  await page.getByLabel('Country').selectOption('CH');
  await page.getByTestId('to-payment').click();
  await expect(page).toHaveURL(/\/pay$/);
  // the postage is part of what is paid
  const paid = await page.getByTestId('payment-total').textContent();
  const amount = (s: string | null) => Number((s ?? '').replace(/[^0-9.]/g, ''));
  expect(amount(paid)).toBeGreaterThan(amount(cartTotal));
  expect(consoleErrors).toEqual([]);
});

test('the checkout speaks the buyer’s language', async ({ page }) => {
  await page.goto(`${cube}/?lang=fr`);
  await page.getByRole('link', { name: 'Hamlet' }).click();
  await page.getByRole('link', { name: /Choisir/ }).first().click();
  await page.locator('[data-testid^="add-"]').first().click();
  await expect(page).toHaveURL(/\/cart$/);
  await page.goto(`${cube}/checkout`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Commande');
  await expect(page.getByText('Livraison de vos billets')).toBeVisible();
  await page.getByTestId('to-payment').click();
  await expect(page.getByTestId('checkout-errors')).toContainText('Veuillez corriger');
  await expectAccessible(page);
});
