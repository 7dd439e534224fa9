// Helpers of the gate journeys (gate.spec.ts): the stadium's tickets as the sandbox knows
// them, the steward's steps, and a camera video of a QR code for Chromium's fake camera.
import { APIRequestContext, Page, expect } from '@playwright/test';
import * as fs from 'node:fs';
// qrcode (npm) ships no types; only QRCode.create(text).modules is used
// eslint-disable-next-line @typescript-eslint/no-require-imports
const QRCode: {
  create(text: string, opts?: { errorCorrectionLevel?: string }): {
    modules: { size: number; get(row: number, col: number): number | boolean };
  };
} = require('qrcode');

export const PORT = Number(process.env.SHOP_E2E_PORT ?? 3100);
/// PLAY's host: Chromium resolves every *.localhost name to the loopback address.
export const PLAY = `http://play.localhost:${PORT}`;
/// The sandbox's admin API (`/__admin/tickets`) needs the shop started with this token.
export const ADMIN = process.env.SANDBOX_ADMIN_TOKEN;
export const PASSWORD = 'gate-demo';
export const GATE_A = 'Gate A – Main stand';
export const GATE_C = 'Gate C – Ends';
/// Not issued by S-360 (a barcode of the right length that no list holds).
export const UNKNOWN_CODE = '0000000000000000000';

export interface Ticket {
  barcode: string;
  taxNumber: string;
  valid: boolean;
  audienceSubCategoryCode: string;
  entranceCode?: string | null;
  performanceCode?: string | null;
  holderData: { name: string; value: string }[];
}

export function holder(t: Ticket, name: string): string | undefined {
  return t.holderData?.find((h) => h.name === name)?.value;
}

/// The sandbox's origin: the first origin the shop's Content-Security-Policy allows frames from
/// (the payment providers of the reseller storefronts follow it).
export async function sandboxOrigin(request: APIRequestContext): Promise<string> {
  const home = await request.get('/');
  const csp = home.headers()['content-security-policy'] ?? '';
  const s360 = csp.match(/frame-src (\S+)[ ;]/)?.[1] ?? '';
  expect(s360, 'the sandbox origin in the CSP').toMatch(/^https?:\/\//);
  return s360;
}

/// PLAY's tickets for the match M01 (the stadium the shop was started with), as the back
/// office lists them, in issue order (the first 1,000: the admin API gives no more; the
/// stadium issues Main stand seats, GATE_A, first).
async function adminTickets(request: APIRequestContext, s360: string): Promise<Ticket[]> {
  const r = await request.get(`${s360}/__admin/tickets?institution=PLAY&performance=M01&limit=1000`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  expect(r.status(), `GET /__admin/tickets: ${await r.text().catch(() => '')}`).toBe(200);
  return (await r.json()) as Ticket[];
}

export const isAt = (entrance: string, tariff: string) => (t: Ticket) =>
  t.valid && t.entranceCode === entrance && t.audienceSubCategoryCode === tariff && t.performanceCode === 'M01';

/// Each test takes its tickets from its own lane of the matching ones, so that no test scans a
/// ticket another one scanned, whatever the order the tests run in (the gate's log lives as
/// long as the server). A retry takes a further lane.
export const LANES = { journey: 0, burst: 1, camera: 2, noscript: 3, screens: 4, detector: 5 } as const;
const PER_LANE = 4;
const RETRY_SHIFT = 6;

export class Tickets {
  private constructor(
    private readonly listed: Ticket[],
    private readonly lane: number,
  ) {}

  static async load(request: APIRequestContext, lane: number, retry = 0): Promise<Tickets> {
    const s360 = await sandboxOrigin(request);
    return new Tickets(await adminTickets(request, s360), lane + retry * RETRY_SHIFT);
  }

  /// `count` (at most 4) valid tickets of M01 through `entrance` at `tariff`, this lane's.
  take(entrance: string, tariff: string, count = 1): Ticket[] {
    expect(count).toBeLessThanOrEqual(PER_LANE);
    const from = this.lane * PER_LANE;
    const matching = this.listed.filter(isAt(entrance, tariff));
    expect(
      matching.length,
      `${from + count} valid M01 tickets at ${entrance} (${tariff}): start the shop with SANDBOX_STADIUM_TICKETS (300 or more)`,
    ).toBeGreaterThanOrEqual(from + count);
    return matching.slice(from, from + count);
  }
}

// ---- the steward's steps ------------------------------------------------------------------

export async function login(page: Page, user: 'head' | 'steward' = 'head') {
  await page.goto(`${PLAY}/gate?lang=en`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('button', { name: 'Start scanning' })).toBeVisible();
}

/// As the head steward: waits for the first complete sync, then opens the doors for M01
/// (whatever today's date: the match need not be today).
export async function openDoorsForM01(page: Page) {
  await page.goto(`${PLAY}/gate/overview`);
  const lastSync = page.getByTestId('sync-state').getByRole('row', { name: /Last complete sync/ }).getByRole('cell');
  await expect(async () => {
    await page.reload();
    await expect(lastSync).not.toHaveText('never', { timeout: 1000 });
    await expect(page.locator('#doors-performance option[value="M01"]')).toHaveCount(1, { timeout: 1000 });
  }).toPass({ timeout: 90_000, intervals: [500, 1000, 2000] });
  await page.getByLabel('Open the doors for').selectOption('M01');
  await page.getByRole('button', { name: 'Open the doors' }).click();
  await expect(page).toHaveURL(/\/gate\/overview$/);
  await expect(page.locator('form[action="/gate/overview/doors"] input[name="performance"][value="M01"]')).toHaveCount(1);
}

export async function chooseGate(page: Page, gate: string) {
  await page.goto(`${PLAY}/gate?change=1`);
  await page.getByLabel(gate).check();
  await page.getByRole('button', { name: 'Start scanning' }).click();
  await expect(page).toHaveURL(/\/gate\/scan$/);
}

/// The scan screen once gate.js runs (it marks the form with its queue's length).
export async function scriptReady(page: Page) {
  await expect(page.locator('#scan-form')).toHaveAttribute('data-pending', '0');
}

export interface Answer {
  outcome: string;
  colour: string;
  title: string;
  reason: string;
  hint: string;
  attention: boolean;
  holder: [string, string][] | null;
  counters: { admitted: number; refused: number; inside: number };
}

const isScan = (r: { url(): string; request(): { method(): string } }) =>
  new URL(r.url()).pathname === '/gate/api/scan' && r.request().method() === 'POST';

/// Types `code` and Enter into the focused field, as a keyboard-wedge scanner does, and
/// returns the gate's answer.
export async function scan(page: Page, code: string): Promise<Answer> {
  await expect(page.locator('#scan-code')).toBeFocused();
  const answered = page.waitForResponse(isScan);
  await page.keyboard.type(code);
  await page.keyboard.press('Enter');
  const r = await answered;
  expect(r.status()).toBe(200);
  return (await r.json()) as Answer;
}

/// Several codes typed back to back, without waiting for any answer; the answers in order.
export async function scanBurst(page: Page, codes: string[]): Promise<Answer[]> {
  await expect(page.locator('#scan-code')).toBeFocused();
  const answers: Answer[] = [];
  const sent: string[] = [];
  const done = new Promise<void>((resolve) => {
    const onResponse = async (r: import('@playwright/test').Response) => {
      if (!isScan(r)) return;
      sent.push(JSON.parse(r.request().postData() ?? '{}').code);
      answers.push((await r.json()) as Answer);
      if (answers.length === codes.length) {
        page.off('response', onResponse);
        resolve();
      }
    };
    page.on('response', onResponse);
  });
  for (const code of codes) {
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
  }
  await done;
  expect(sent, 'every code sent once, in the order scanned').toEqual(codes);
  return answers;
}

export async function counters(page: Page) {
  const read = async (name: string) =>
    Number(await page.locator(`#gate-counters [data-counter="${name}"]`).textContent());
  return { admitted: await read('admitted'), refused: await read('refused'), inside: await read('inside') };
}

// ---- a camera video -----------------------------------------------------------------------

/// Writes a YUV4MPEG2 (4:2:0) video of `frames` identical frames showing `text` as a QR code,
/// black on white with a quiet zone, for Chromium's --use-file-for-fake-video-capture.
export function writeQrVideo(file: string, text: string, width = 640, height = 480, frames = 30) {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' }).modules;
  const quiet = 4;
  const cells = qr.size + 2 * quiet;
  const scale = Math.floor((Math.min(width, height) * 0.9) / cells);
  expect(scale, 'the QR code fits the frame').toBeGreaterThanOrEqual(2);
  const side = cells * scale;
  const left = Math.floor((width - side) / 2) + quiet * scale;
  const top = Math.floor((height - side) / 2) + quiet * scale;
  const luma = Buffer.alloc(width * height, 235); // white (video range)
  for (let r = 0; r < qr.size; r++) {
    for (let c = 0; c < qr.size; c++) {
      if (!qr.get(r, c)) continue;
      for (let y = 0; y < scale; y++) {
        const row = (top + r * scale + y) * width + left + c * scale;
        luma.fill(16, row, row + scale); // black
      }
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128); // no colour: U and V
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420mpeg2\n`, 'ascii');
  const frame = Buffer.concat([Buffer.from('FRAME\n', 'ascii'), luma, chroma]);
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, header);
    for (let i = 0; i < frames; i++) fs.writeSync(fd, frame);
  } finally {
    fs.closeSync(fd);
  }
}
