import { test, expect, hydrated, expectAccessible } from './fixtures';

// A guest buys two best-available seats for a CUBE performance and pays with the S-PAY test
// card; the order is closed through S-360 and the tickets download as a PDF.
test('guest buys tickets end to end', async ({ page }) => {
  // S-PAY's hosted page lives on the sandbox's own origin; its 4xx/5xx would show here
  await page.goto('/');
  await hydrated(page);
  await page.getByRole('link', { name: 'The Nutcracker' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'The Nutcracker' })).toBeVisible();
  await expect(page.getByTestId('venue')).toContainText('Annemasse');
  await expectAccessible(page);
  await page.getByRole('link', { name: /Choose seats for/ }).first().click();
  await expect(page.getByRole('heading', { name: 'Seat categories' })).toBeVisible();
  await hydrated(page);
  await expectAccessible(page);

  const balcony = page.getByRole('region', { name: 'Balcony' });
  await balcony.getByLabel('Number of tickets').fill('2');
  await balcony.getByRole('button', { name: 'Add best available seats' }).click();

  await expect(page).toHaveURL(/\/cart$/);
  await expect(page.getByTestId('cart-line')).toHaveCount(1);
  await expect(page.getByTestId('cart-line')).toContainText('Balcony');
  await expect(page.getByTestId('cart-line').locator('.seats li')).toHaveCount(2);
  // the block by the catalog's name, not its code
  await expect(page.getByTestId('cart-line').locator('.seats li').first()).toHaveText(
    /^Balcony, row \S+, seat \d+$/,
  );
  await expect(page.getByTestId('hold-timer')).toContainText(/held for \d+:\d\d/);
  // 2 × €35.00 + €2.00 booking fee
  await expect(page.getByTestId('cart-total')).toHaveText('€72.00');
  await expectAccessible(page);

  await page.getByTestId('to-checkout').click();
  await hydrated(page);
  await page.getByLabel('First name').fill('Ada');
  await page.getByLabel('Last name').fill('Lovelace');
  await page.getByLabel('E-mail').fill('ada@example');
  await page.getByTestId('to-payment').click();
  await expect(page.getByRole('alert')).toContainText('valid e-mail');
  await expectAccessible(page);
  await page.getByLabel('E-mail').fill('ada@example.com');
  await page.getByTestId('to-payment').click();

  await expect(page).toHaveURL(/\/pay$/);
  const frame = page.frameLocator('iframe[title="Card payment"]');
  await frame.getByLabel(/Card number/).fill('4111 1111 1111 1111');
  await frame.getByLabel(/Expiry/).fill('12/30');
  await frame.getByLabel(/CVC|Security code/).fill('123');
  await frame.getByRole('button', { name: /Pay/ }).click();

  await expect(page).toHaveURL(/\/orders\/\d+\?access=/);
  await expect(page.getByTestId('order-state')).toHaveText('Paid and confirmed');
  await expect(page.getByTestId('ticket')).toHaveCount(2);
  // block and entrance by their names (S-360's catalog), never their codes
  await expect(page.getByTestId('ticket').first()).toContainText(/Balcony · Row \S+ · Seat \d+/);
  await expect(page.getByTestId('ticket').first()).toContainText('Entrance Door B (balcony)');
  await expect(page.getByTestId('ticket').first()).not.toContainText(/BALCONY|DOOR_B/);
  await expectAccessible(page);

  const orderUrl = page.url();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('download-tickets').click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^tickets-\d+\.pdf$/);

  // a reload or a second visit never sells twice: same order, same two tickets
  await page.goto(orderUrl);
  await expect(page.getByTestId('order-state')).toHaveText('Paid and confirmed');
  await expect(page.getByTestId('ticket')).toHaveCount(2);
  // the cart is empty again
  await page.goto('/cart');
  await expect(page.getByTestId('cart-empty')).toBeVisible();
});

test('a refused card keeps the seats and asks for another card', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('link', { name: 'Hamlet' }).click();
  await page.getByRole('link', { name: /Choose seats for/ }).first().click();
  await hydrated(page);
  const stalls = page.getByRole('region', { name: 'Stalls, rear' });
  await stalls.getByLabel('Number of tickets').fill('1');
  await stalls.getByRole('button', { name: 'Add best available seats' }).click();
  await expect(page).toHaveURL(/\/cart$/);
  await page.getByTestId('to-checkout').click();
  await hydrated(page);
  await page.getByLabel('First name').fill('Bob');
  await page.getByLabel('Last name').fill('Refused');
  await page.getByLabel('E-mail').fill('bob@example.com');
  await page.getByTestId('to-payment').click();
  await expect(page).toHaveURL(/\/pay$/);
  const frame = page.frameLocator('iframe[title="Card payment"]');
  await frame.getByLabel(/Card number/).fill('4000 0000 0000 0002');
  await frame.getByLabel(/Expiry/).fill('12/30');
  await frame.getByLabel(/CVC|Security code/).fill('123');
  await frame.getByRole('button', { name: /Pay/ }).click();
  // the order stays held (OUR DESIGN, s360-contract.md §14): back to the payment page
  await expect(page).toHaveURL(/\/pay$/);
  await expect(page.getByTestId('payment-notice')).toContainText('Your card was refused');
  await expect(page.locator('iframe[title="Card payment"]')).toHaveCount(1);
});

test('an order link without its secret is not found', async ({ page }) => {
  const res = await page.goto('/orders/1?access=guess');
  expect(res?.status()).toBe(404);
});
