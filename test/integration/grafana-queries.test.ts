import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimulation } from '../../simulator/index.ts';
import { influxql, rows } from '../../src/store/query/client.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { useInflux } from '../helpers/influx.ts';
import { eventually } from '../helpers/eventually.ts';
import { queryRows, startService } from '../helpers/service.ts';
import type { FeeDay } from '../../src/model/fee-day.ts';
import { feeDayLine } from '../../src/store/schema.ts';

/**
 * Every InfluxQL query of the Grafana dashboards, with Grafana's macros and template variables filled in
 * the way Grafana does, runs against a real InfluxDB loaded by the short simulator scenario and returns rows.
 */
const DASHBOARDS = join(import.meta.dirname, '../../dashboards/grafana/dashboards');
// Readings carry the meter's own time (the scenario: 2025-07-01..03); meter_status and rejected are
// stamped with the arrival time (now), so the time range reaches from the scenario up to now.
const TIME_FILTER = `time >= '2025-06-30T00:00:00Z' AND time < now() + 1h`;

interface Target {
  refId?: string;
  query?: string;
  rawQuery?: boolean;
}
interface Panel {
  title?: string;
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: string;
  current?: { value?: unknown };
}
interface Dashboard {
  title: string;
  panels: Panel[];
  templating?: { list: Variable[] };
}
interface PanelQuery {
  name: string;
  query: string;
  vars: Variable[];
}

function loadDashboards(): { file: string; dashboard: Dashboard }[] {
  return readdirSync(DASHBOARDS)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')) as Dashboard }));
}

function panelQueries(): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const { file, dashboard } of loadDashboards()) {
    const vars = dashboard.templating?.list ?? [];
    for (const v of vars)
      if (v.type === 'query' && v.query) out.push({ name: `${file} / variable $${v.name}`, query: v.query, vars });
    const walk = (panels: Panel[]) => {
      for (const p of panels) {
        for (const t of p.targets ?? [])
          if (t.query) out.push({ name: `${file} / panel "${p.title}" [${t.refId}]`, query: t.query, vars });
        walk(p.panels ?? []);
      }
    };
    walk(dashboard.panels);
  }
  return out;
}

/** Grafana's regex format of a multi-value variable: (a|b|c), each value regex-escaped. */
const regexOf = (values: string[]) => `(${values.map((v) => v.replace(/[\\^$.|?*+()[\]{}/]/g, '\\$&')).join('|')})`;

function substitute(query: string, values: Map<string, string>): string {
  const lookup = (name: string, whole: string) => values.get(name) ?? whole;
  return query
    .replace(/\$\{(\w+)(?::\w+)?\}/g, (whole, name: string) => lookup(name, whole))
    .replace(/\[\[(\w+)\]\]/g, (whole, name: string) => lookup(name, whole))
    .replace(/\$(\w+)/g, (whole, name: string) => lookup(name, whole));
}

const QUERIES = panelQueries();
/** The scenario's quarter (short-e2e: 2025-07-01..03, every later day billed after the last reading). */
const QUARTER = '2025-Q3';
/** ekb-1: 1,000.5 + 2,000 + 3,000 kWh in the quarter; kpg-2: 500 kWh. */
const STATEMENT = 'site,month,kwh\nekb-1,2025-07,1000.5\nekb-1,2025-08,2000\nekb-1,2025-09,3000\nkpg-2,2025-07,500\n';
const influx = useInflux();
let target: InfluxTarget;
let svc: Awaited<ReturnType<typeof startService>>;
let outDir: string;
const values = new Map<string, string>([
  ['timeFilter', TIME_FILTER],
  ['__interval', '1h'],
  ['interval', '1h'],
]);

beforeAll(async () => {
  target = influx.target();
  svc = await startService(target);
  outDir = mkdtempSync(join(tmpdir(), 'kzm-grafana-sim-'));
  const summary = await runSimulation({
    scenario: 'simulator/scenarios/short-e2e.yaml',
    brokerUrl: svc.brokerUrl,
    clock: 'backfill',
    outDir,
  });
  expect(summary.publishFailures).toBe(0);
  // Readings are acknowledged once stored; the broker's last will (offline) and the garbage's rejections follow.
  const count = async (q: string) => Number((await queryRows(target, q))[0]?.count ?? 0);
  expect(
    await eventually(
      () => count('SELECT count(wh) FROM reading'),
      (n) => n > 1000,
    ),
  ).toBeGreaterThan(1000);
  expect(
    await eventually(
      () => count(`SELECT count(online) FROM meter_status WHERE state = 'offline'`),
      (n) => n > 0,
    ),
  ).toBeGreaterThan(0);
  expect(
    await eventually(
      () => count('SELECT count(bytes) FROM rejected'),
      (n) => n > 0,
    ),
  ).toBeGreaterThan(0);

  // Every stored reading is in the rollups, and the fee days (fee_1d) they move are written.
  await svc.feeDays.flush();
  // The supplier's statement of the quarter (issue 24): its invoice points feed the invoice panels.
  const imported = await svc.app.inject({
    method: 'POST',
    url: '/api/invoices',
    headers: { 'content-type': 'text/csv' },
    payload: STATEMENT,
  });
  expect(imported.statusCode, imported.body).toBe(200);
  await eventually(
    () => count('SELECT count(energy_wh) FROM invoice'),
    (n) => n === 4,
    10_000,
    'the four invoice points',
  );

  // Template variables: textboxes take their default; query variables "All" = every value their query returns.
  const vars = loadDashboards().flatMap((d) => d.dashboard.templating?.list ?? []);
  // Textboxes take their default (query); a custom variable its current choice (its query lists the options).
  for (const v of vars)
    if (v.type !== 'query')
      values.set(
        v.name,
        String((v.type === 'custom' ? v.current?.value : undefined) ?? v.query ?? v.current?.value ?? ''),
      );
  for (const name of ['taxpayer', 'site', 'meter']) {
    const v = vars.find((x) => x.name === name && x.type === 'query');
    if (!v?.query) continue;
    const series = await influxql(target, substitute(v.query, values));
    const found = series.flatMap((s) => rows(s).map((r) => String(r.value)));
    expect(found.length, `variable $${name} has values`).toBeGreaterThan(0);
    values.set(name, regexOf(found));
  }
  const quarters = await queryRows(target, 'SHOW TAG VALUES FROM "fee_1d" WITH KEY = "quarter"');
  expect(quarters.map((r) => r.value)).toContain(QUARTER);
  values.set('quarter', QUARTER);
}, 120_000);

afterAll(async () => {
  await svc?.cleanup();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('Grafana dashboards against InfluxDB loaded with simulator data', () => {
  it('finds the queries of every dashboard', () => {
    expect(loadDashboards().map((d) => d.file)).toEqual(['consumption.json', 'fees.json', 'meter-status.json']);
    expect(QUERIES.length).toBeGreaterThan(15);
  });

  it.each(QUERIES)('$name returns rows', async ({ name, query }) => {
    const q = substitute(query, values);
    expect(q, `${name}: a Grafana variable was left unsubstituted`).not.toMatch(/\$\{?\w|\[\[\w/);
    const series = await influxql(target, q);
    const n = series.reduce((sum, s) => sum + s.values.length, 0);
    expect(n, `${name} returned no rows:\n${q}`).toBeGreaterThan(0);
  });
});

describe('Grafana fee panels equal the ledger', () => {
  it('the fee panel summed over the quarter equals GET /api/ledger to the milli-tiyn', async () => {
    const res = await svc.app.inject({ method: 'GET', url: `/api/ledger?period=${QUARTER}` });
    expect(res.statusCode).toBe(200);
    const ledger = res.json() as { totals: { feeMilliTiyn: number } };
    expect(ledger.totals.feeMilliTiyn).toBeGreaterThan(0);
    const fees = loadDashboards().find((d) => d.file === 'fees.json')!.dashboard;
    const panel = fees.panels.find((p) => /^Fee in \$quarter/.test(p.title ?? ''))!;
    // The dashboard's own variables as Grafana fills them: $site "All" = every value of its query.
    const siteVar = fees.templating!.list.find((v) => v.name === 'site')!;
    const sites = (await influxql(target, substitute(siteVar.query!, values))).flatMap((s) =>
      rows(s).map((r) => String(r.value)),
    );
    const own = new Map([...values, ['site', regexOf(sites)]]);
    const q = substitute(panel.targets![0]!.query!, own);
    const [row] = (await influxql(target, q)).flatMap((s) => rows(s));
    const tenge = Number(row?.fee);
    // The panel shows tenge (milli-tiyn / 100000) as a float: back to milli-tiyn it is the ledger's exact sum.
    expect(Math.round(tenge * 100_000)).toBe(ledger.totals.feeMilliTiyn);
    expect(tenge.toFixed(2)).toBe((ledger.totals.feeMilliTiyn / 100_000).toFixed(2));
  });

  it("issue 24: the invoice panel shows the statement's kWh per site beside the ledger's kWh of the site", async () => {
    const fees = loadDashboards().find((d) => d.file === 'fees.json')!.dashboard;
    const panel = fees.panels.find((p) => /^Supplier's invoice against the ledger/.test(p.title ?? ''))!;
    const [a, b] = panel.targets!.map((t) => substitute(t.query!, values));
    const invoiced = new Map((await queryRows(target, a!)).map((r) => [r.site, r['invoiced kWh']]));
    expect(Object.fromEntries(invoiced)).toEqual({ 'ekb-1': 6000.5, 'kpg-2': 500 });
    const res = await svc.app.inject({ method: 'GET', url: `/api/ledger?period=${QUARTER}&site=ekb-1` });
    const ledger = res.json() as { totals: { energyWh: number } };
    const rowsB = await queryRows(target, b!);
    expect(Math.round(Number(rowsB.find((r) => r.site === 'ekb-1')!['ledger kWh']) * 1000)).toBe(
      ledger.totals.energyWh,
    );
  });

  it('per meter, metered and substituted energy and fee equal the ledger summary', async () => {
    const res = await svc.app.inject({ method: 'GET', url: `/api/ledger?period=${QUARTER}` });
    const ledger = res.json() as {
      summaries: { byMeter: { key: string; meteredWh: number; substitutedWh: number; feeMilliTiyn: number }[] };
    };
    const got = await queryRows(
      target,
      `SELECT sum("metered_wh") AS "meteredWh", sum("substituted_wh") AS "substitutedWh", sum("fee_milli_tiyn") AS "feeMilliTiyn" FROM "fee_1d" WHERE "quarter" = '${QUARTER}' GROUP BY "meter"`,
    );
    const byMeter = new Map(got.map((r) => [r.meter, r]));
    expect(ledger.summaries.byMeter.length).toBeGreaterThan(1);
    for (const m of ledger.summaries.byMeter) {
      const r = byMeter.get(m.key);
      expect({ meter: m.key, metered: r?.meteredWh, substituted: r?.substitutedWh, fee: r?.feeMilliTiyn }).toEqual({
        meter: m.key,
        metered: m.meteredWh,
        substituted: m.substitutedWh,
        fee: m.feeMilliTiyn,
      });
    }
  });
});

/**
 * Issue 26: Grafana had no rounded amount due. The panel rounds per declared line (taxpayer x source x basis)
 * by the unit fee_1d carries, as the ledger does: three lines of 1.40 ₸ under whole-tenge rounding (2026) are
 * declared as 3 x 1 = 3 ₸, while rounding their exact sum (4.20 ₸) would give 4 ₸; before 2026, to the tiyn.
 */
describe('Grafana amount due panel', () => {
  const day = (d: string) => Date.parse(`${d}T00:00:00+05:00`);
  const feeDay = (over: Partial<FeeDay>): FeeDay => ({
    meterId: 'm1',
    siteId: 's1',
    taxpayerBin: '111111111111',
    source: 'grid',
    quarter: '2026-Q1',
    dayStartMs: day('2026-01-10'),
    lines: 1,
    meteredWh: 700,
    substitutedWh: 0,
    meteredFeeMilliTiyn: 0,
    substitutedFeeMilliTiyn: 0,
    byReason: new Map(),
    roundUnitMilliTiyn: 100_000,
    ...over,
  });
  const amountDue = async (db: InfluxTarget, quarter: string) => {
    const fees = loadDashboards().find((d) => d.file === 'fees.json')!.dashboard;
    const panel = fees.panels.find((p) => /^Amount due in \$quarter/.test(p.title ?? ''))!;
    const own = new Map([...values, ['quarter', quarter], ['site', '.*'], ['taxpayer', '.*']]);
    const [row] = (await influxql(db, substitute(panel.targets![0]!.query!, own))).flatMap((s) => rows(s));
    return Math.round(Number(row?.['amount due']) * 100); // tiyn
  };

  it('whole tenge per declared line from 2026: 3 lines of 1.40 ₸ are 3 ₸ (4 ₸ if the sum were rounded)', async () => {
    const db = await influx.database();
    const lines = [
      // taxpayer A, grid, metered: two days of 0.70 ₸ make one declared line of 1.40 ₸
      feeDay({ meteredFeeMilliTiyn: 70_000 }),
      feeDay({ meterId: 'm2', dayStartMs: day('2026-01-11'), meteredFeeMilliTiyn: 70_000 }),
      // taxpayer A, grid, substituted: 1.40 ₸
      feeDay({ dayStartMs: day('2026-01-12'), substitutedFeeMilliTiyn: 140_000, substitutedWh: 700 }),
      // taxpayer B, renewable, metered: 1.40 ₸
      feeDay({ taxpayerBin: '222222222222', source: 'renewable', meteredFeeMilliTiyn: 140_000 }),
      // a day without lines carries no unit (0) and changes nothing
      feeDay({ dayStartMs: day('2026-01-13'), lines: 0, meteredWh: 0, roundUnitMilliTiyn: 0 }),
    ].map(feeDayLine);
    const res = await fetch(`${db.url}/write?db=${db.database}&precision=n`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    expect(res.status).toBe(204);
    expect(await amountDue(db, '2026-Q1')).toBe(300);
  });

  it('to the tiyn before 2026, equal to the ledger of the simulated quarter', async () => {
    const res = await svc.app.inject({ method: 'GET', url: `/api/ledger?period=${QUARTER}` });
    const ledger = res.json() as { totals: { declaredTiyn: number } };
    expect(ledger.totals.declaredTiyn).toBeGreaterThan(0);
    expect(await amountDue(target, QUARTER)).toBe(ledger.totals.declaredTiyn);
  });
});
