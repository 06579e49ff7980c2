/**
 * The web dashboard in headless Chromium against the real service, a real influxd and the simulator
 * (the last two days of the previous quarter backfilled for three meters, two meters publishing live):
 * the overview's fee totals are the ledger API's, the meter detail chart renders with its substituted
 * intervals shaded, and no page logs an error or asks anything of another host.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatTiyn, formatWhAsKwh, localDateOf, roundMilliTiynToTiyn } from '../../src/fees/index.ts';
import { formatLocalDate } from '../../src/fees/zoned-time.ts';
import type { LedgerReport } from '../../src/ledger/report.ts';
import type { MeterDetailView } from '../../src/http/dashboard/meter-detail.ts';
import {
  BACKFILL_INTERVAL_S,
  BACKFILL_METERS,
  type DashboardStack,
  type GuardedPage,
  SCREENSHOT_DIR,
  previousQuarter,
  recentBackfillScenario,
  startDashboardStack,
} from '../helpers/dashboard-stack.ts';

const LIVE = ['ekb-1-m02', 'ekb-1-m03'];
let stack: DashboardStack;
let quarter: ReturnType<typeof previousQuarter>;
const pages: GuardedPage[] = [];

beforeAll(async () => {
  stack = await startDashboardStack({
    intervals: {
      ...Object.fromEntries(BACKFILL_METERS.map((m) => [m, BACKFILL_INTERVAL_S])),
      ...Object.fromEntries(LIVE.map((m) => [m, 5])),
    },
  });
  quarter = previousQuarter(Date.now());
  await stack.backfill(recentBackfillScenario(Date.now()));
  stack.live({ name: 'dashboard-live', meters: LIVE, start: new Date().toISOString(), reportingIntervalS: 5 });
}, 120_000);
afterAll(async () => {
  await stack?.cleanup();
});

async function open(path: string): Promise<GuardedPage> {
  const g = await stack.page();
  pages.push(g);
  await g.page.goto(stack.url(path), { waitUntil: 'load' });
  return g;
}

/** Every page a test opened: no console error, no page error, nothing asked of another host. */
afterEach(async () => {
  for (const g of pages.splice(0)) {
    await g.page.close();
    expect(g.errors, `browser errors on ${g.page.url()}`).toEqual([]);
    expect(g.external, `requests to other hosts from ${g.page.url()}`).toEqual([]);
  }
});

const text = async (g: GuardedPage, testId: string) =>
  (await g.page.getByTestId(testId).innerText()).replace(/[\s\u202f,]/g, '');
const tenge = (milliTiyn: number) => formatTiyn(roundMilliTiynToTiyn(milliTiyn, 'half-up-tiyn'));
const getJson = async <T>(path: string): Promise<T> => (await (await fetch(stack.url(path))).json()) as T;

describe('overview', () => {
  it('shows the fee totals GET /api/ledger gives for the same quarter', async () => {
    const g = await open(`/?period=${quarter.label}`);
    await g.page.getByTestId('by-site').waitFor();
    const ledger = await getJson<LedgerReport>(`/api/ledger?period=${quarter.label}`);
    expect(ledger.period.complete).toBe(true);
    expect(ledger.totals.feeMilliTiyn).toBeGreaterThan(0);
    expect(await text(g, 'declared-total')).toBe(`${ledger.totals.declaredTenge}₸`);
    expect(await text(g, 'fee-accrued')).toBe(`${tenge(ledger.totals.feeMilliTiyn)}₸`);
    expect(
      (await g.page.locator('.card', { has: g.page.getByTestId('fee-accrued') }).innerText()).replace(
        /[\s\u202f,]/g,
        '',
      ),
    ).toContain(ledger.totals.feeTenge);
    expect(await text(g, 'outage-cost')).toBe(`${tenge(ledger.outageCost.milliTiyn)}₸`);
    const totalRow = (await g.page.getByTestId('totals-row').locator('td').allInnerTexts()).map((t) =>
      t.replace(/[\s\u202f,]/g, ''),
    );
    expect(totalRow.slice(1, 4)).toEqual([
      formatWhAsKwh(ledger.totals.meteredWh),
      formatWhAsKwh(ledger.totals.substitutedWh),
      tenge(ledger.totals.feeMilliTiyn),
    ]);
    // Per taxpayer: each one's amount due is the ledger API's (its declared lines, each rounded once).
    expect(ledger.taxpayers.length).toBeGreaterThanOrEqual(2);
    for (const t of ledger.taxpayers)
      expect((await g.page.locator(`[data-declared="${t.bin}"]`).innerText()).replace(/[\s\u202f,]/g, '')).toBe(
        t.declaredTenge,
      );
    // A quarter that is over: the projection is what accrued; the due dates are the law's.
    expect(await text(g, 'projected-total')).toBe(`${tenge(ledger.totals.feeMilliTiyn)}₸`);
    expect(await text(g, 'due-dates')).toMatch(/^declareby\d{4}-\d{2}-15$/);
    // Daily bars per site: one bar group per day of the quarter, the two backfilled days metered.
    const daily = g.page.getByTestId('daily');
    await daily.locator('figure[data-site="ekb-1"] svg rect.bar-now').first().waitFor();
    expect(await daily.locator('h2').innerText()).toContain(quarter.label);
    const ekb = daily.locator('figure[data-site="ekb-1"]');
    expect(await ekb.locator('svg').getAttribute('aria-label')).toBe('Ekibastuz DC-1: kWh per day');
    const titles = await ekb.locator('rect.bar-now title').allTextContents();
    const days = Math.round((quarter.toMs - quarter.fromMs) / 86_400_000);
    expect(titles.filter((t) => / grid substituted/.test(t)).length).toBe(days);
    expect(titles.filter((t) => / grid metered/.test(t)).length).toBeGreaterThanOrEqual(2);
    expect(await ekb.locator('svg text', { hasText: 'kWh per day' }).count()).toBe(1);
    expect(await daily.locator('.legend').innerText()).toMatch(/grid metered[\s\S]*substituted/);
    await stack.screenshot(g.page, 'overview-past-quarter');
  });

  it('the current quarter so far: states the projection formula and counts meters by state', async () => {
    const g = await open('/');
    await g.page.getByTestId('by-site').waitFor();
    expect(await g.page.getByTestId('formula').innerText()).toMatch(
      /Projected = accrued \+ \(fee of the last [\d.]+ h ÷ [\d.]+ h\) × hours left in the quarter/,
    );
    await g.page.locator('[data-count="online"]').waitFor();
    // Daily bars with the previous quarter beside, and the meters that never reported named.
    const prevBars = g.page.locator('[data-testid="daily"] figure[data-site="ekb-1"] rect.bar-prev');
    await prevBars.first().waitFor();
    expect(await g.page.getByTestId('daily').locator('h2').innerText()).toContain(
      `beside the same day of ${quarter.label}`,
    );
    const notices = g.page.getByTestId('unreported');
    expect(await notices.innerText()).toMatch(/charged at max load: meter ekb-1-m04 has not reported in this period/);
    // The browser's own measurements of this load (the page runs in Chromium, not under this file's types).
    const timing = await g.page.evaluate(`(() => {
      const n = performance.getEntriesByType('navigation')[0];
      const bytes = performance.getEntriesByType('resource').reduce((a, r) => a + r.transferSize, n.transferSize);
      const shown = performance.getEntriesByName('kzm-rendered')[0];
      return { domContentLoadedMs: Math.round(n.domContentLoadedEventEnd), loadMs: Math.round(n.loadEventEnd), renderedMs: shown && Math.round(shown.startTime), transferBytes: bytes };
    })()`);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    writeFileSync(join(SCREENSHOT_DIR, 'overview-timing.json'), `${JSON.stringify(timing)}\n`);
    await stack.screenshot(g.page, 'overview');
  });
});

describe('meter detail', () => {
  it('charts kW and register with the substituted intervals shaded and listed with their reasons', async () => {
    const day = (ms: number) => formatLocalDate(localDateOf(ms, 'Asia/Almaty'));
    const range = `from=${day(quarter.toMs - 48 * 3_600_000)}&to=${day(quarter.toMs)}`;
    const api = await getJson<MeterDetailView>(`/api/dashboard/meters/ekb-1-m01?${range}`);
    const gaps = api.substituted.filter((s) => s.reason === 'gap');
    expect(gaps.length).toBeGreaterThan(0); // the scenario's silent outage
    const g = await open(`/meters/ekb-1-m01?${range}`);
    const chart = g.page.getByTestId('chart');
    const canvas = chart.locator('canvas');
    await canvas.waitFor();
    const box = (await canvas.boundingBox())!;
    expect(box.width).toBeGreaterThan(300);
    expect(box.height).toBeGreaterThan(200);
    expect(Number(await chart.getAttribute('data-points'))).toBe(api.series.t.length);
    expect(api.series.kw.filter((v) => v !== null).length).toBeGreaterThan(100);
    expect(await chart.getAttribute('data-series')).toBe('kW|Max load (kW)|Register (kWh)');
    expect(await chart.locator('.u-legend .u-series').count()).toBe(4);
    // The kW axis starts at zero and reaches above the max-load line; the toggle zooms it to the data.
    expect(Number(await chart.getAttribute('data-max-load-kw'))).toBe(api.meter.maxLoadKw);
    expect(await chart.getAttribute('data-kw-axis')).toBe('zero');
    expect(Number(await chart.getAttribute('data-kw-min'))).toBe(0);
    expect(Number(await chart.getAttribute('data-kw-max'))).toBeGreaterThanOrEqual(api.meter.maxLoadKw);
    await g.page.locator('button[data-action="zoom-kw"]').click();
    await chart
      .locator('[data-kw-axis="zoom"]')
      .or(g.page.locator('[data-testid="chart"][data-kw-axis="zoom"]'))
      .waitFor();
    const kws = api.series.kw.filter((v): v is number => v !== null);
    expect(Number(await chart.getAttribute('data-kw-min'))).toBeGreaterThan(0);
    expect(Number(await chart.getAttribute('data-kw-min'))).toBeLessThanOrEqual(Math.min(...kws));
    expect(Number(await chart.getAttribute('data-kw-max'))).toBeGreaterThanOrEqual(Math.max(...kws));
    expect(Number(await chart.getAttribute('data-kw-max'))).toBeLessThan(api.meter.maxLoadKw * 1.08);
    await g.page.locator('button[data-action="zoom-kw"]').click();
    await g.page.locator('[data-testid="chart"][data-kw-axis="zero"]').waitFor();
    // One band per substituted interval; the gap's band has a width and lies inside the plot.
    const bands = chart.locator('.kzm-band');
    expect(await bands.count()).toBe(api.substituted.length);
    const plot = (await chart.locator('.u-over').boundingBox())!;
    const gapBox = (await chart.locator('.kzm-band[data-reason="gap"]').first().boundingBox())!;
    expect(gapBox.width).toBeGreaterThan(1);
    expect(gapBox.x).toBeGreaterThanOrEqual(plot.x);
    expect(gapBox.x + gapBox.width).toBeLessThanOrEqual(plot.x + plot.width + 1);
    const reasons = await g.page
      .getByTestId('substituted')
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-reason')));
    expect(reasons).toEqual(api.substituted.map((s) => s.reason));
    await stack.screenshot(g.page, 'meter-detail');
  });

  it('takes dates as YYYY-MM-DD whatever the browser locale, and refuses other forms', async () => {
    const g = await open('/meters/ekb-1-m01');
    const from = g.page.getByLabel('From', { exact: true });
    await from.waitFor();
    expect(await from.getAttribute('type')).toBe('text');
    expect(await from.inputValue()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const day = (ms: number) => formatLocalDate(localDateOf(ms, 'Asia/Almaty'));
    await from.fill('11/27/2026');
    await g.page.getByRole('button', { name: 'Show' }).click();
    expect(await from.evaluate((e) => (e as unknown as { validity: { valid: boolean } }).validity.valid)).toBe(false);
    expect(g.page.url()).not.toContain('from=');
    await from.fill(day(quarter.toMs - 48 * 3_600_000));
    await g.page.getByLabel('To', { exact: true }).fill(day(quarter.toMs - 3_600_000));
    await g.page.getByRole('button', { name: 'Show' }).click();
    await g.page.waitForURL(new RegExp(`from=${day(quarter.toMs - 48 * 3_600_000)}`));
    await g.page.locator('[data-testid="chart"] canvas').waitFor();
  });

  it('lists the messages ingest rejected for the meter (the last 24 hours by default)', async () => {
    const api = await getJson<MeterDetailView>('/api/dashboard/meters/ekb-1-m01');
    expect(api.rejected.items.length).toBeGreaterThan(0); // the scenario's garbage
    const g = await open('/meters/ekb-1-m01');
    const rows = g.page.getByTestId('rejected').locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-reason')))).toEqual(
      api.rejected.items.map((r) => r.reason),
    );
    expect(await g.page.getByTestId('rejected').innerText()).toContain(api.rejected.items[0]!.payload.slice(0, 20));
  });
});

describe('every page', () => {
  it.each([
    { name: 'meters', path: '/meters', ready: 'table[data-testid="meters-grid"] tbody tr', live: true },
    { name: 'periods', path: '/periods', ready: 'table[data-testid="periods"] tbody tr', live: false },
    { name: 'overview-live', path: '/', ready: '[data-testid="by-site"]', live: true },
    { name: 'meter-detail-live', path: '/meters/ekb-1-m02', ready: '[data-testid="chart"] canvas', live: true },
  ])('$name loads without errors and from this server only', async ({ name, path, ready, live }) => {
    const g = await open(path);
    await g.page.locator(ready).first().waitFor();
    if (live) await g.page.locator('#live.live-up').waitFor();
    await stack.screenshot(g.page, name);
  });

  it('the meters grid shows each meter substituted kWh and tenge for the quarter', async () => {
    // The quarter is running: its substituted gap grows with the clock, so compare the grid with the last
    // answer it rendered (live updates may fetch again), not with one fetched at another instant.
    const g = await stack.page();
    pages.push(g);
    let last: Promise<unknown> | undefined;
    g.page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/api/dashboard/meters') last = r.json();
    });
    await g.page.goto(stack.url('/meters'), { waitUntil: 'load' });
    const row = g.page.locator('tr[data-meter="ekb-1-m04"]');
    await row.locator('[data-testid="substituted-kwh"]').waitFor();
    await g.page.waitForLoadState('networkidle');
    const api = (await last) as {
      meters: { id: string; ledger: { substitutedKwh: string; substitutedTenge: string } }[];
    };
    const m = api.meters.find((x) => x.id === 'ekb-1-m04')!;
    const clean = (t: string) => t.replace(/[\s\u202f,]/g, '');
    expect(clean(await row.getByTestId('substituted-kwh').innerText())).toBe(`${m.ledger.substitutedKwh}kWh`);
    expect(clean(await row.getByTestId('substituted-tenge').innerText())).toBe(`${m.ledger.substitutedTenge}₸`);
    expect(Number(m.ledger.substitutedKwh)).toBeGreaterThan(0);
  });

  it('the guard itself notices a request to another host', async () => {
    const g = await stack.page();
    await g.page.setContent('<img src="http://203.0.113.9/x.png">');
    expect(g.external).toEqual(['http://203.0.113.9/x.png']);
    await g.page.close();
  });
});
