import { test as base, expect, Page } from '@playwright/test';

/// Every test fails on a console error or an uncaught exception in the page.
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
    await use(errors);
    expect(errors, 'console errors').toEqual([]);
  },
});

/// Waits until the page is hydrated (an effect that only runs in the browser sets the marker).
export async function hydrated(page: Page) {
  await expect(page.locator('[data-hydrated="true"]')).toHaveCount(1);
}

export { expect };

import AxeBuilder from '@axe-core/playwright';

/// WCAG 2.2 AA checks with axe-core; fails listing each violation and where it is.
export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    // the S-PAY card form is S-PAY's page, checked by its own tests
    .exclude('iframe')
    .analyze();
  const summary = results.violations.map(
    (v) => `${v.id}: ${v.help} -> ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(summary, 'accessibility violations').toEqual([]);
}
