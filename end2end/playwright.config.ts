import { defineConfig } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// The shop under test: the real server binary with the embedded S-360 sandbox.
// scripts/test.sh builds it and passes SHOP_BIN; Playwright never downloads a browser.
const port = Number(process.env.SHOP_E2E_PORT ?? 3100);
const bin = process.env.SHOP_BIN ?? '../target/debug/shop';
const siteRoot = process.env.LEPTOS_SITE_ROOT ?? '../target/site';
// A third-party OpenID Connect provider (node-oidc-provider, end2end/oidc/provider.mjs): PLAY's
// buyers log in there; MOSA and CUBE keep S-360 as their identity provider. Its port follows
// the shop's (3202 -> 3302) so that runs on different shop ports never share a provider.
const oidcPort = Number(process.env.OIDC_E2E_PORT ?? port + 100);
// localstripe, the fake Stripe of the reseller storefronts (PyPI, installed and patched by
// scripts/common.sh's ensure_localstripe; scripts/test.sh passes LOCALSTRIPE_BIN): its port
// follows the shop's as well (3100 -> 3300). It starts empty (--from-scratch), answers any
// sk_test_/pk_test_ key and serves its fake Stripe.js at /js.stripe.com/v3/ (also the
// readiness URL). It listens on every interface: it has no host option.
const stripePort = Number(process.env.STRIPE_E2E_PORT ?? port + 200);
const stripeApiBase = `http://127.0.0.1:${stripePort}`;
// maildev (npm), the SMTP server the shop's e-mails go to, with its REST API (GET /email) that
// mail.spec.ts reads: SMTP and web ports follow the shop's too (3100 -> 3400 and 3500).
const smtpPort = Number(process.env.SMTP_E2E_PORT ?? port + 300);
const maildevWebPort = Number(process.env.MAILDEV_E2E_WEB_PORT ?? port + 400);
process.env.MAILDEV_E2E_API ??= `http://127.0.0.1:${maildevWebPort}`;
const localstripeBin =
  process.env.LOCALSTRIPE_BIN ??
  path.join(process.env.CARGO_TARGET_DIR ?? '../target', 'localstripe-venv/bin/localstripe');
// The sandbox's admin API (fault injection) for journeys such as cart expiry; the tests read
// the same variable. A fresh data dir per run for the registry of started payments (workers
// inherit the environment, so they all see the same values).
process.env.SANDBOX_ADMIN_TOKEN ??= 'e2e-admin';
process.env.SHOP_E2E_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'shop-e2e-'));
const dataDir = process.env.SHOP_E2E_DATA_DIR;

// scripts/test.sh may shift the wall clock of the run (libfaketime through LD_PRELOAD) to test
// other dates: the shop, its sandbox, the identity provider and the tests share the shifted
// clock; Chromium keeps the real one (it does not load pages under libfaketime), as a buyer's
// browser whose clock differs from the shop's.
const browserEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k, v]) => v !== undefined && k !== 'LD_PRELOAD' && !k.startsWith('FAKETIME'),
  ),
) as Record<string, string>;

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  // a safety net: a run that hangs fails here instead of using up CI's time
  globalTimeout: 40 * 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    launchOptions: {
      env: browserEnv,
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
  webServer: [
    {
      command: 'node oidc/provider.mjs',
      url: `http://127.0.0.1:${oidcPort}/.well-known/openid-configuration`,
      timeout: 30_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      stderr: 'pipe',
      env: { OIDC_PORT: String(oidcPort), SHOP_E2E_PORT: String(port) },
    },
    {
      command: `"${localstripeBin}" --port ${stripePort} --from-scratch`,
      url: `${stripeApiBase}/js.stripe.com/v3/`,
      timeout: 30_000,
      reuseExistingServer: false,
      // its access log (a line per request) only on demand
      stdout: 'ignore',
      stderr: process.env.LOCALSTRIPE_LOG ? 'pipe' : 'ignore',
    },
    {
      command: `node node_modules/maildev/bin/maildev --smtp ${smtpPort} --web ${maildevWebPort} --ip 127.0.0.1 --web-ip 127.0.0.1 --silent`,
      url: `http://127.0.0.1:${maildevWebPort}/email`,
      timeout: 30_000,
      reuseExistingServer: false,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
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
        // fault injection for the cart-expiry journey; payments registry in a throwaway dir
        SANDBOX_ADMIN_TOKEN: process.env.SANDBOX_ADMIN_TOKEN,
        // tickets already sold for PLAY's first match (M01), for the stewards' journeys at
        // /gate: the first rows of block B1 (GATE_A), so the buyers' journeys still find seats
        SANDBOX_STADIUM_TICKETS: '300',
        SHOP_DATA_DIR: dataDir,
        SHOP_OIDC_PLAY_ISSUER: `http://127.0.0.1:${oidcPort}`,
        SHOP_OIDC_PLAY_CLIENT_ID: 'ticket-shop',
        SHOP_OIDC_PLAY_CLIENT_SECRET: 'ticket-shop-e2e-secret',
        SHOP_OIDC_PLAY_SCOPES: 'email profile',
        // every journey buys from 127.0.0.1: the per-client hold limit is tested in Rust
        SHOP_HOLDS_PER_CLIENT: '0',
        // the reseller storefronts pay through localstripe
        SHOP_STRIPE_API_BASE: stripeApiBase,
        // the buyers' e-mails go to maildev; retried every second at most while it starts
        SHOP_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        SHOP_SMTP_RETRY_MAX_SECS: '2',
      },
    },
  ],
});
