import { defineConfig } from '@playwright/test';

// The shop under test: the real server binary with the embedded S-360 sandbox.
// scripts/test.sh builds it and passes SHOP_BIN; Playwright never downloads a browser.
const port = Number(process.env.SHOP_E2E_PORT ?? 3100);
const bin = process.env.SHOP_BIN ?? '../target/debug/shop';
const siteRoot = process.env.LEPTOS_SITE_ROOT ?? '../target/site';

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    trace: 'retain-on-failure',
  },
  webServer: {
    command: bin,
    url: `http://127.0.0.1:${port}/readyz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: siteRoot,
      RUST_LOG: 'warn',
    },
  },
});
