import { test, expect, hydrated } from './fixtures';
import AxeBuilder from '@axe-core/playwright';
import type { CDPSession, Page } from '@playwright/test';

// Colour contrast of every availability level in every state, whatever today's seed shows.
// The journeys check the pages as they happen to look on the day they run; this test builds a
// specimen of each level (good, limited, optionable, sold out, outside the sale period, unknown)
// from the shop's own rendered markup, in both calendars and on the programme cards, and checks
// it with axe in each state (plain, hover, focus, pressed; chosen day; closed day) under the
// brand colours of each institution.
const port = Number(process.env.SHOP_E2E_PORT ?? 3100);
const hosts = {
  CUBE: `http://127.0.0.1:${port}`,
  MOSA: `http://mosa.localhost:${port}`,
  PLAY: `http://play.localhost:${port}`,
};
const LEVELS = ['good', 'limited', 'optionable', 'sold_out', 'outside_sale_period', 'unknown'];
const STATES: string[][] = [[], ['hover'], ['focus', 'focus-visible'], ['active', 'hover'], ['focus-within']];
const visitName = 'Permanent collection & Light and Matter exhibition';
// 15 axe runs (3 brands × 5 states) per specimen: longer than a journey's 30 s
test.describe.configure({ timeout: 180_000 });

/// The `style` attribute each institution puts on `.shop` (brand, on-brand, accent).
async function brandStyles(page: Page): Promise<Record<string, string>> {
  const styles: Record<string, string> = {};
  for (const [code, host] of Object.entries(hosts)) {
    await page.goto(`${host}/`);
    styles[code] = (await page.locator('.shop').getAttribute('style')) ?? '';
    expect(styles[code], code).toContain('--brand');
  }
  return styles;
}

/// Forces a CSS pseudo-state (as DevTools does) on every element of the specimens.
async function force(cdp: CDPSession, states: string[]) {
  const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
  const { nodeIds } = await cdp.send('DOM.querySelectorAll', {
    nodeId: root.nodeId,
    selector: '[data-specimen], [data-specimen] *',
  });
  for (const nodeId of nodeIds) {
    await cdp.send('CSS.forcePseudoState', { nodeId, forcedPseudoClasses: states });
  }
  return nodeIds.length;
}

/// Runs axe's colour-contrast rule on the specimens for every brand and state.
async function checkSpecimens(page: Page, brands: Record<string, string>, what: string) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const failures: string[] = [];
  for (const [code, style] of Object.entries(brands)) {
    await page.locator('.shop').evaluate((el, s) => el.setAttribute('style', s), style);
    for (const states of STATES) {
      expect(await force(cdp, states)).toBeGreaterThan(0);
      const results = await new AxeBuilder({ page })
        .include('[data-specimen]')
        .withRules(['color-contrast'])
        .analyze();
      for (const v of results.violations) {
        for (const n of v.nodes) {
          failures.push(`${what}, ${code} brand, :${states.join(':') || 'plain'}: ${n.target.join(' ')}: ${n.failureSummary}`);
        }
      }
      // anything axe could not decide (e.g. text over an image) counts as a failure here
      for (const v of results.incomplete) {
        for (const n of v.nodes) {
          const why = n.any.concat(n.all, n.none).map((c) => c.message).join('; ');
          failures.push(`${what}, ${code} brand, :${states.join(':') || 'plain'}: undecided ${n.target.join(' ')}: ${why}`);
        }
      }
    }
    await force(cdp, []);
  }
  await cdp.detach();
  expect(failures, 'contrast failures').toEqual([]);
}

test('visit-pass calendar: every level in every state is readable under every brand', async ({ page }) => {
  const brands = await brandStyles(page);
  await page.goto(`${hosts.MOSA}/`);
  await page.getByRole('link', { name: visitName }).first().click();
  await expect(page.getByTestId('calendar')).toBeVisible();
  await hydrated(page);
  // the shop's own markup of a bookable day is the template of every specimen
  const made = await page.getByTestId('calendar').evaluate((table, levels) => {
    const template = table.querySelector('a.day');
    if (!template) throw new Error('no bookable day this month');
    const body = document.createElement('tbody');
    body.setAttribute('data-specimen', 'visit-calendar');
    for (const level of levels) {
      const row = document.createElement('tr');
      const variants: [string, (el: Element) => Element][] = [
        ['link', (a) => a],
        ['chosen', (a) => (a.setAttribute('aria-current', 'date'), a)],
        ['closed', (a) => {
          const span = document.createElement('span');
          span.className = `${a.className} unavailable`;
          span.innerHTML = a.innerHTML;
          return span;
        }],
      ];
      for (const [, make] of variants) {
        const a = template.cloneNode(true) as HTMLAnchorElement;
        a.className = `day level-${level}`;
        a.removeAttribute('aria-current');
        a.setAttribute('href', '#specimen');
        a.querySelector('.day-level')!.textContent = `Level ${level.replace(/_/g, ' ')}`;
        const td = document.createElement('td');
        td.appendChild(make(a));
        row.appendChild(td);
      }
      body.appendChild(row);
    }
    table.appendChild(body);
    return body.querySelectorAll('td').length;
  }, LEVELS);
  expect(made).toBe(LEVELS.length * 3);

  // the forcing itself works: a hovered plain day takes the hover tint, a hovered chosen day
  // keeps the brand
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  await force(cdp, ['hover']);
  const [plain, chosen] = await page.evaluate(() => {
    const bg = (s: string) => getComputedStyle(document.querySelector(s)!).backgroundColor;
    return [
      bg('[data-specimen] a.day:not([aria-current])'),
      bg('[data-specimen] a.day[aria-current="date"]'),
    ];
  });
  expect(plain).toBe('rgb(238, 243, 251)');
  expect(chosen).not.toBe(plain);
  await force(cdp, []);
  await cdp.detach();

  await checkSpecimens(page, brands, 'visit calendar');
});

test('programme calendar and cards: every level in every state is readable under every brand', async ({ page }) => {
  const brands = await brandStyles(page);

  // the month calendar: an entry per level in a busy day (the shop's cell and list markup)
  await page.goto(`${hosts.PLAY}/?view=calendar`);
  const calendar = page.getByTestId('calendar');
  await expect(calendar).toBeVisible();
  const entries = await calendar.evaluate((table, levels) => {
    const cell = table.querySelector('td:not(.outside)');
    if (!cell) throw new Error('no day in the month');
    const body = document.createElement('tbody');
    body.setAttribute('data-specimen', 'programme-calendar');
    // one entry a day, as most days have, so no entry overflows its cell
    for (const busy of [true, false]) {
      const row = document.createElement('tr');
      for (const level of levels) {
        const td = cell.cloneNode(true) as HTMLTableCellElement;
        td.className = busy ? 'busy' : '';
        td.querySelector('ul')?.remove();
        const ul = document.createElement('ul');
        const li = document.createElement('li');
        const a = document.createElement('a');
        a.href = '#specimen';
        a.textContent = `19:30 Specimen`;
        const span = document.createElement('span');
        span.className = `level level-${level}`;
        span.textContent = `Level ${level.replace(/_/g, ' ')}`;
        li.append(a, span);
        ul.appendChild(li);
        td.appendChild(ul);
        row.appendChild(td);
      }
      body.appendChild(row);
    }
    table.appendChild(body);
    return body.querySelectorAll('li').length;
  }, LEVELS);
  expect(entries).toBe(LEVELS.length * 2);
  await checkSpecimens(page, brands, 'programme calendar');

  // the programme's cards: the shop's card markup with each level
  await page.goto(`${hosts.PLAY}/`);
  const cards = await page.locator('.cards').first().evaluate((list, levels) => {
    const template = list.querySelector('li.card');
    if (!template) throw new Error('no card on the programme');
    const ul = document.createElement('ul');
    ul.className = list.className;
    ul.setAttribute('data-specimen', 'cards');
    for (const level of levels) {
      const card = template.cloneNode(true) as HTMLElement;
      const p = card.querySelector('p[class*="level-"]');
      if (!p) throw new Error('a card without its availability');
      p.className = `level level-${level}`;
      p.textContent = `Level ${level.replace(/_/g, ' ')}`;
      ul.appendChild(card);
    }
    list.after(ul);
    return ul.children.length;
  }, LEVELS);
  expect(cards).toBe(LEVELS.length);
  await checkSpecimens(page, brands, 'programme cards');
});
