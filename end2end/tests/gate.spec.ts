import { chromium, ConsoleMessage, Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, expect, expectAccessible } from './fixtures';
import {
  ADMIN,
  GATE_A,
  GATE_C,
  LANES,
  PLAY,
  Tickets,
  UNKNOWN_CODE,
  chooseGate,
  counters,
  holder,
  login,
  openDoorsForM01,
  scan,
  scanBurst,
  scriptReady,
  writeQrVideo,
} from './support/gate';

// Access control at PLAY's stadium (issue 14): a steward at a gate, on the server-rendered
// /gate screens. The shop runs with SANDBOX_STADIUM_TICKETS, so the match M01 has thousands of
// printed tickets; the tests find theirs through the sandbox's admin API by entrance and
// tariff, each test in its own lane (support/gate.ts), and each logs in and opens the doors
// itself: no test depends on another, on the date, or on the order they run in.

const result = (page: Page) => page.locator('#scan-result');

async function expectShown(page: Page, colour: 'green' | 'amber' | 'red', outcome: string) {
  await expect(result(page)).toHaveClass(new RegExp(`\\bscan-${colour}\\b`));
  await expect(result(page)).toHaveAttribute('data-outcome', outcome);
}

/// The scan screen at Gate A, the doors open for M01, as the head steward.
async function atGateA(page: Page) {
  await login(page, 'head');
  await openDoorsForM01(page);
  await chooseGate(page, GATE_A);
  await scriptReady(page);
}

test.describe('gate', () => {
  test.skip(!ADMIN, 'needs the shop started with SANDBOX_ADMIN_TOKEN (the sandbox admin API)');

  test('the steward login refuses a wrong password', async ({ browser }) => {
    // a context of its own: the 401 page is logged as a failed load, which is expected here
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${PLAY}/gate?lang=en`);
      await expect(page.getByLabel('User name')).toBeFocused();
      await expectAccessible(page);
      await page.getByLabel('User name').fill('nobody');
      await page.getByLabel('Password', { exact: true }).fill('not the password');
      const refused = page.waitForResponse((r) => new URL(r.url()).pathname === '/gate/login');
      await page.getByRole('button', { name: 'Log in' }).click();
      expect((await refused).status()).toBe(401);
      await expect(page.getByRole('alert')).toHaveClass(/gate-error/);
      await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
      await expectAccessible(page);
      // the same screens in French, from the language links
      await page.getByRole('link', { name: 'Français' }).click();
      await expect(page.getByRole('button', { name: 'Se connecter' })).toBeVisible();
    } finally {
      await context.close();
    }
  });

  test('a steward checks tickets with a keyboard-wedge scanner and by tax number', async ({
    page,
    browser,
    request,
    consoleErrors,
  }, info) => {
    test.setTimeout(120_000);
    const tickets = await Tickets.load(request, LANES.journey, info.retry);
    const [adult, byTaxNumber, elsewhere] = tickets.take('GATE_A', 'ADULT', 3);
    const [child] = tickets.take('GATE_A', 'CHILD');

    await login(page, 'head');
    // a head steward has the overview
    await expect(page.getByRole('link', { name: 'Overview' })).toBeVisible();
    await openDoorsForM01(page);
    await expect(page.getByTestId('sync-state')).toBeVisible();
    await expectAccessible(page);
    await chooseGate(page, GATE_A);
    await scriptReady(page);
    await expect(page.locator('.gate-bar')).toContainText(GATE_A);
    await expect(result(page)).toHaveClass(/\bscan-idle\b/);
    await expect(result(page).locator('.scan-title')).toHaveText('Ready');
    await expect(page.locator('#scan-code')).toBeFocused();
    await expectAccessible(page);
    const before = await counters(page);

    // an adult at their own gate: in; the scanner sends the code twice in a burst (hardware
    // scanners do): the same answer twice, counted once
    const burst = await scanBurst(page, [adult.barcode, adult.barcode]);
    expect(burst.map((x) => x.outcome)).toEqual(['admitted', 'admitted']);
    const admittedAt = Date.now();
    let a = burst[1];
    await expectShown(page, 'green', 'admitted');
    await expect(result(page).locator('.scan-title')).toHaveText('Admitted');
    await expect(result(page).locator('.scan-holder')).toContainText(adult.taxNumber);
    await expect(page.locator('#gate-counters [data-counter="admitted"]')).toHaveText(String(before.admitted + 1));
    await expect(page.locator('#scan-code')).toHaveValue('');
    await expect(page.locator('#scan-code')).toBeFocused();
    await expectAccessible(page);

    // a Main stand ticket at the other end of the stadium, on a steward's device at Gate C:
    // refused, with the way to its gate (the stadium of the test run sells GATE_A seats only)
    const other = await browser.newContext();
    try {
      const device = await other.newPage();
      await login(device, 'steward');
      // a steward (not head) has no overview
      await expect(device.getByRole('link', { name: 'Overview' })).toHaveCount(0);
      await chooseGate(device, GATE_C);
      await scriptReady(device);
      a = await scan(device, elsewhere.barcode);
      expect(a.outcome).toBe('wrong_entrance');
      await expectShown(device, 'red', 'wrong_entrance');
      await expect(result(device).locator('.scan-title')).toHaveText('Wrong entrance');
      await expect(result(device).locator('.scan-reason')).toContainText(GATE_A);
      await expect(result(device).locator('.scan-hint')).toContainText(GATE_A);
      await expectAccessible(device);
    } finally {
      await other.close();
    }
    // and not let in there: it still enters at its own gate
    a = await scan(page, elsewhere.barcode);
    expect(a.outcome).toBe('admitted');
    await expectShown(page, 'green', 'admitted');

    // a ticket whose code does not read: the steward types its tax number
    a = await scan(page, byTaxNumber.taxNumber);
    expect(a.outcome).toBe('admitted');
    await expectShown(page, 'green', 'admitted');
    await expect(result(page).locator('.scan-holder')).toContainText(byTaxNumber.taxNumber);

    // a child's ticket: in, but the steward checks who holds it
    a = await scan(page, child.barcode);
    expect(a.attention).toBe(true);
    await expectShown(page, 'amber', a.outcome);
    await expect(result(page)).toHaveClass(/\bscan-attention\b/);
    await expect(result(page).locator('.scan-title')).toHaveText('Check ID');
    // the tariff's name from the catalog, not its code
    await expect(result(page).locator('.scan-reason')).toContainText('Child (under 16)');
    const name = `${holder(child, 'FIRSTNAME')} ${holder(child, 'LASTNAME')}`;
    const born = holder(child, 'BIRTHDATE') ?? '';
    expect(born).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const holderRows = result(page).locator('.scan-holder');
    await expect(holderRows.locator('div', { has: page.locator('dt', { hasText: /^Name$/ }) }).locator('dd')).toHaveText(name);
    await expect(holderRows.locator('div', { has: page.locator('dt', { hasText: /^Born$/ }) }).locator('dd')).toHaveText(born);
    await expectAccessible(page);

    // a code S-360 never issued
    a = await scan(page, UNKNOWN_CODE);
    expect(a.outcome).toBe('unknown');
    await expectShown(page, 'red', 'unknown');
    await expect(result(page).locator('.scan-holder')).toBeEmpty();

    // the first ticket again, after the burst window (1 s): already in, when and where
    await page.waitForTimeout(Math.max(0, admittedAt + 1_500 - Date.now()));
    a = await scan(page, adult.barcode);
    expect(a.outcome).toBe('already_entered');
    await expectShown(page, 'red', 'already_entered');
    await expect(result(page).locator('.scan-title')).toHaveText('Already entered');
    await expect(result(page).locator('.scan-reason')).toContainText(GATE_A);
    await expect(result(page).locator('.scan-reason')).toContainText(/\d{1,2}:\d{2}/);
    await expectAccessible(page);

    const after = await counters(page);
    // at Gate A: three adults and a child in; the unknown code and the second entry refused
    expect(after.admitted - before.admitted).toBe(4);
    expect(after.refused - before.refused).toBe(2);
    // the counters on screen are the server's: a reload shows the same
    await page.reload();
    await scriptReady(page);
    expect(await counters(page)).toEqual(after);
    expect(consoleErrors).toEqual([]);
  });

  test('codes scanned back to back are all checked, in order, none lost', async ({
    page,
    request,
    consoleErrors,
  }, info) => {
    const tickets = await Tickets.load(request, LANES.burst, info.retry);
    const adults = tickets.take('GATE_A', 'ADULT', 3);
    await atGateA(page);
    const before = await counters(page);
    // a hardware scanner sends the next code while the previous answer is on its way
    const answers = await scanBurst(page, [adults[0].barcode, UNKNOWN_CODE, adults[1].barcode, adults[2].taxNumber]);
    expect(answers.map((a) => a.outcome)).toEqual(['admitted', 'unknown', 'admitted', 'admitted']);
    // the screen shows the last answer, the field is empty and still focused
    await expectShown(page, 'green', 'admitted');
    await expect(result(page).locator('.scan-holder')).toContainText(adults[2].taxNumber);
    await expect(page.locator('#scan-code')).toHaveValue('');
    await expect(page.locator('#scan-code')).toBeFocused();
    await expect(page.locator('#gate-counters [data-counter="admitted"]')).toHaveText(String(before.admitted + 3));

    // a click on the answer does not take the scanner's input away from the field
    await result(page).click();
    await expect(page.locator('#scan-code')).toBeFocused();
    // nor does a link that has the focus: the scanner's digits go to the field, and its
    // Enter checks the code instead of following the link
    await page.getByRole('link', { name: 'Change gate' }).focus();
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/gate/api/scan');
    await page.keyboard.type(UNKNOWN_CODE);
    await page.keyboard.press('Enter');
    expect((await (await answered).json()).outcome).toBe('unknown');
    await expect(page).toHaveURL(/\/gate\/scan$/);
    await expectShown(page, 'red', 'unknown');
    await expect(page.locator('#scan-code')).toHaveValue('');
    await expect(page.locator('#scan-code')).toBeFocused();
    expect(consoleErrors).toEqual([]);
  });

  test('a steward whose session has ended is sent back to the login', async ({ browser }) => {
    // a context of its own: the refused scan (401) is logged as a failed load, as expected
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await atGateA(page);
      // the same browser logs out in another tab
      const other = await context.newPage();
      await other.goto(`${PLAY}/gate/scan`);
      await other.getByRole('button', { name: 'Log out' }).click();
      await expect(other.getByLabel('User name')).toBeVisible();
      await other.close();

      const refused = page.waitForResponse((r) => new URL(r.url()).pathname === '/gate/api/scan');
      await page.locator('#scan-code').focus();
      await page.keyboard.type(UNKNOWN_CODE);
      await page.keyboard.press('Enter');
      expect((await refused).status()).toBe(401);
      await expectShown(page, 'red', 'error');
      // then the page reloads, and the login is what it shows
      await expect(page.getByLabel('User name')).toBeVisible();
      await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
    } finally {
      await context.close();
    }
  });

  test('without JavaScript the form posts and the page shows the answer', async ({ browser, request }, info) => {
    const tickets = await Tickets.load(request, LANES.noscript, info.retry);
    const [adult] = tickets.take('GATE_A', 'ADULT');
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    try {
      await atGateAWithoutScript(page);
      await expect(page.locator('#camera-start')).toBeHidden();
      await page.locator('#scan-code').fill(adult.barcode);
      await page.locator('#scan-code').press('Enter');
      await expect(page).toHaveURL(/\/gate\/scan$/);
      await expectShown(page, 'green', 'admitted');
      await expect(result(page).locator('.scan-title')).toHaveText('Admitted');
      await expect(result(page).locator('.scan-holder')).toContainText(adult.taxNumber);
      // and the same ticket once more, by tax number, after the burst window (1 s)
      await page.waitForTimeout(1_500);
      await page.getByLabel('Scan a ticket or type its number').fill(adult.taxNumber);
      await page.getByRole('button', { name: 'Check' }).click();
      await expectShown(page, 'red', 'already_entered');
    } finally {
      await context.close();
    }
  });

  test('the camera reads a ticket’s QR code and the ticket is admitted', async ({ request }, info) => {
    test.setTimeout(90_000);
    const tickets = await Tickets.load(request, LANES.camera, info.retry);
    const [adult] = tickets.take('GATE_A', 'ADULT');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-camera-'));
    const video = path.join(dir, 'ticket.y4m');
    writeQrVideo(video, adult.barcode);
    // a browser of its own: the fake camera's video is chosen at launch
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${video}`,
      ],
    });
    const errors: string[] = [];
    try {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
      await context.grantPermissions(['camera'], { origin: PLAY });
      const page = await context.newPage();
      page.on('console', (m: ConsoleMessage) => {
        if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`);
      });
      page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
      await atGateA(page);
      const before = await counters(page);
      const answered = page.waitForResponse(
        (r) => new URL(r.url()).pathname === '/gate/api/scan' && r.request().method() === 'POST',
      );
      await page.getByRole('button', { name: 'Use the camera' }).click();
      await expect(page.locator('#camera-video')).toBeVisible();
      await expect(page.getByRole('button', { name: 'Stop the camera' })).toBeVisible();
      const r = await answered;
      expect(JSON.parse(r.request().postData() ?? '{}').code).toBe(adult.barcode);
      expect((await r.json()).outcome).toBe('admitted');
      await expectShown(page, 'green', 'admitted');
      await expect(result(page).locator('.scan-holder')).toContainText(adult.taxNumber);
      await expect(page.locator('#camera-status')).toHaveText(
        (await page.locator('#camera-status').getAttribute('data-msg-scanning')) ?? 'missing',
      );
      // the camera keeps seeing the same code: it is not sent again (nor counted twice)
      await page.waitForTimeout(1_500);
      await expect(page.locator('#gate-counters [data-counter="admitted"]')).toHaveText(String(before.admitted + 1));
      await expectAccessible(page);
      await page.getByRole('button', { name: 'Stop the camera' }).click();
      await expect(page.locator('#camera-video')).toBeHidden();
      await expect(page.getByRole('button', { name: 'Use the camera' })).toBeVisible();
      await context.close();
    } finally {
      await browser.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(errors, 'console errors').toEqual([]);
  });

  test('a refused camera is explained; the browser’s own detector is used where it reads QR codes', async ({
    page,
    request,
    consoleErrors,
  }, info) => {
    const tickets = await Tickets.load(request, LANES.detector, info.retry);
    const [adult] = tickets.take('GATE_A', 'ADULT');
    // this Chromium has neither a camera nor BarcodeDetector (Linux): both stand-ins here, a
    // camera that is refused or films a blank canvas, and a detector that sees the ticket
    await page.addInitScript((code) => {
      const w = window as unknown as Record<string, unknown>;
      navigator.mediaDevices.getUserMedia = async () => {
        if (w.cameraRefused) throw new DOMException('Permission denied', 'NotAllowedError');
        const canvas = document.createElement('canvas');
        canvas.width = 320;
        canvas.height = 240;
        const ctx = canvas.getContext('2d')!;
        let n = 0;
        setInterval(() => {
          ctx.fillStyle = n++ % 2 ? '#fff' : '#eee';
          ctx.fillRect(0, 0, 320, 240);
        }, 50);
        return canvas.captureStream(20);
      };
      w.detections = 0;
      w.BarcodeDetector = class {
        static async getSupportedFormats() {
          return ['qr_code', 'code_128', 'ean_13'];
        }
        constructor(options: { formats: string[] }) {
          w.formats = options.formats;
        }
        async detect() {
          w.detections = (w.detections as number) + 1;
          return [{ rawValue: code, format: 'qr_code' }];
        }
      };
    }, adult.barcode);
    const workers: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/gate/scan-worker.js') || r.url().endsWith('/gate/jsQR.js')) workers.push(r.url());
    });
    await atGateA(page);
    const status = page.locator('#camera-status');

    // refused: the steward reads why, and the camera can be tried again
    await page.evaluate(() => ((window as unknown as Record<string, unknown>).cameraRefused = true));
    await page.getByRole('button', { name: 'Use the camera' }).click();
    await expect(status).toHaveText((await status.getAttribute('data-msg-denied')) ?? 'missing');
    await expect(page.getByRole('button', { name: 'Use the camera' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Stop the camera' })).toBeHidden();
    await expect(page.locator('#camera-video')).toBeHidden();
    await expectAccessible(page);

    // allowed: the detector reads the ticket on every frame; it is checked once
    await page.evaluate(() => ((window as unknown as Record<string, unknown>).cameraRefused = false));
    const before = await counters(page);
    const answered = page.waitForResponse(
      (r) => new URL(r.url()).pathname === '/gate/api/scan' && r.request().method() === 'POST',
    );
    await page.getByRole('button', { name: 'Use the camera' }).click();
    const r = await answered;
    expect(JSON.parse(r.request().postData() ?? '{}').code).toBe(adult.barcode);
    await expectShown(page, 'green', 'admitted');
    await expect(status).toHaveText((await status.getAttribute('data-msg-scanning')) ?? 'missing');
    const formats = await page.evaluate(() => (window as unknown as Record<string, unknown>).formats);
    expect(formats).toEqual(['qr_code', 'code_128', 'ean_13']);
    await expect
      .poll(() => page.evaluate(() => (window as unknown as Record<string, number>).detections))
      .toBeGreaterThan(5);
    await expect(page.locator('#gate-counters [data-counter="admitted"]')).toHaveText(String(before.admitted + 1));
    await expect(page.locator('#gate-counters [data-counter="refused"]')).toHaveText(String(before.refused));
    expect(workers, 'no worker nor jsQR where the browser reads codes itself').toEqual([]);
    await page.getByRole('button', { name: 'Stop the camera' }).click();
    await expect(page.locator('#camera-video')).toBeHidden();
    await expect(page.locator('#scan-code')).toBeFocused();
    expect(consoleErrors).toEqual([]);
  });

  test('the screens fit a phone and a desk screen', async ({ browser, request }, info) => {
    test.setTimeout(120_000);
    const tickets = await Tickets.load(request, LANES.screens, info.retry);
    const adults = tickets.take('GATE_A', 'ADULT', 2);
    const children = tickets.take('GATE_A', 'CHILD', 2);
    // GATE_SHOTS=dir keeps screenshots of every screen to look at
    const shots = process.env.GATE_SHOTS;
    if (shots) fs.mkdirSync(shots, { recursive: true });
    const sizes = [
      { name: 'phone', width: 390, height: 844 },
      { name: 'desk', width: 1280, height: 800 },
    ];
    for (const [i, size] of sizes.entries()) {
      const context = await browser.newContext({ viewport: { width: size.width, height: size.height } });
      const page = await context.newPage();
      const shot = async (what: string) => {
        await expectFits(page, size.width);
        if (shots) {
          await page.screenshot({ path: path.join(shots, `${what}-${size.width}x${size.height}.png`), animations: 'disabled' });
        }
      };
      try {
        await page.goto(`${PLAY}/gate?lang=en`);
        await shot('login');
        await login(page, 'head');
        await shot('select');
        await openDoorsForM01(page);
        await shot('overview');
        await chooseGate(page, GATE_A);
        await scriptReady(page);
        await shot('scan-idle');
        await expectLarge(page, size.height);

        await scan(page, adults[i].barcode);
        await expectShown(page, 'green', 'admitted');
        await shot('scan-green');
        await expectLarge(page, size.height);
        await scan(page, UNKNOWN_CODE);
        await expectShown(page, 'red', 'unknown');
        await shot('scan-red');
        await scan(page, children[i].barcode);
        await expect(result(page)).toHaveClass(/\bscan-amber\b/);
        await shot('scan-amber');
        await expectLarge(page, size.height);
        await expectAccessible(page);
      } finally {
        await context.close();
      }
    }
  });
});

/// Login, doors and gate as the head steward, in a page without JavaScript.
async function atGateAWithoutScript(page: Page) {
  await page.goto(`${PLAY}/gate?lang=en`);
  await page.getByLabel('User name').fill('head');
  await page.getByLabel('Password', { exact: true }).fill('gate-demo');
  await page.getByRole('button', { name: 'Log in' }).click();
  await openDoorsForM01(page);
  await chooseGate(page, GATE_A);
}

/// Nothing wider than the screen (no sideways scrolling on a phone).
async function expectFits(page: Page, width: number) {
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(scrollWidth, 'page width').toBeLessThanOrEqual(width);
}

/// The answer takes most of the screen and its title reads at arm's length.
async function expectLarge(page: Page, height: number) {
  const box = await result(page).boundingBox();
  expect(box, 'the result panel').not.toBeNull();
  expect(box!.height, 'the result panel takes most of the height').toBeGreaterThanOrEqual(height * 0.45);
  const size = await result(page)
    .locator('.scan-title')
    .evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  expect(size, 'the title is at least 3rem').toBeGreaterThanOrEqual(48);
  // the whole panel is on screen without scrolling
  expect(box!.y + box!.height, 'the panel ends on screen').toBeLessThanOrEqual(height + 1);
}
