/** GET /api/ledger against a real InfluxDB and the example registry (devices/). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadTariffs } from '../../src/fees/index.ts';
import { buildApp } from '../../src/http/app.ts';
import { ledgerRoutes } from '../../src/http/routes/ledger.ts';
import { createLiveState } from '../../src/live/live-state.ts';
import { createIngestMetrics } from '../../src/ingest/metrics.ts';
import type { LedgerReport } from '../../src/ledger/report.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import type { Registry } from '../../src/registry/types.ts';
import { useInflux } from '../helpers/influx.ts';
import { MIN, at, generate, writeMeterData } from '../unit/ledger/store-fixtures.ts';
import { meterFacts } from '../../src/ledger/scope.ts';

const NOW = at('2025-10-02T12:00+05:00');
const influx = useInflux();
let app: FastifyInstance;
let registry: Registry;

beforeAll(async () => {
  const target = await influx.database();
  registry = loadRegistry(fileURLToPath(new URL('../../devices', import.meta.url)));
  const tariffs = await loadTariffs(fileURLToPath(new URL('../../tariffs', import.meta.url)));
  if (!tariffs.ok) throw new Error(tariffs.reason);
  const meter = (id: string) => meterFacts(registry.meterById.get(id)!);
  const span = { fromMs: at('2025-09-29T00:00+05:00'), toMs: NOW - MIN, stepMs: MIN };
  await writeMeterData(target, [
    generate({ ...span, facts: meter('ekb-1-m01'), powerW: 40_000, noise: 0.05 }),
    generate({
      ...span,
      facts: meter('ekb-1-m02'),
      powerW: 40_000,
      gaps: [[at('2025-09-30T20:00+05:00'), at('2025-10-01T02:00+05:00')]],
    }),
  ]);
  const log = pino({ level: 'silent' });
  app = await buildApp({
    registry,
    live: createLiveState(),
    metrics: createIngestMetrics(),
    log,
    now: () => NOW,
    health: {
      influx: target,
      writer: { state: () => ({ pendingLines: 0, writing: false, consecutiveFailures: 0 }) },
      broker: () => ({ mode: 'embedded', url: '', connected: true }),
    },
    plugins: [
      ledgerRoutes({
        registry,
        tariffs: tariffs.value,
        target: target,
        now: () => NOW,
        beforeRead: async () => rollupsCurrent,
      }),
    ],
  });
});

/** What the service's rollup flush answers (false: it timed out with hours still pending). */
let rollupsCurrent = true;

afterAll(async () => {
  await app?.close();
});

async function get(query: string): Promise<{ status: number; body: LedgerReport & { error?: string } }> {
  const res = await app.inject({ method: 'GET', url: `/api/ledger?${query}` });
  return { status: res.statusCode, body: res.json() };
}

describe('GET /api/ledger', () => {
  it('a custom range: lines, totals and declared amounts as integers with decimal strings', async () => {
    const { status, body } = await get('site=ekb-1&from=2025-09-30&to=2025-10-02');
    expect(status).toBe(200);
    expect(body.period).toMatchObject({
      from: '2025-09-29T19:00:00.000Z',
      to: '2025-10-01T19:00:00.000Z',
      complete: true,
    });
    expect(body.scope.meters.length).toBe(registry.meters.filter((m) => m.siteId === 'ekb-1').length);
    expect(body.registryVersion).toBe(registry.version);
    expect(body.tariffs.map((t) => t.id)).toEqual(['kz-2024']);
    for (const l of body.lines) {
      expect(Number.isSafeInteger(l.energyWh) && Number.isSafeInteger(l.feeMilliTiyn)).toBe(true);
      expect(l.energyKwh).toMatch(/^\d+\.\d{3}$/);
      expect(l.feeTenge).toMatch(/^\d+\.\d{5}$/);
    }
    expect(body.totals.feeMilliTiyn).toBe(body.lines.reduce((s, l) => s + l.feeMilliTiyn, 0));
    expect(body.totals.declaredTiyn).toBe(body.declared.reduce((s, d) => s + d.amountTiyn, 0));
    expect(body.summaries.total.energyWh).toBe(body.totals.energyWh);
    // m02's six silent hours are a gap at max load, split at the Q3/Q4 boundary; under strict they cost more than the register says.
    const gap = body.lines.filter((l) => l.meterId === 'ekb-1-m02' && l.reason === 'gap');
    expect(gap.map((l) => l.taxQuarter)).toEqual(['2025-Q3', '2025-Q4']);
    expect(gap[1]!.toMs - gap[0]!.fromMs).toBeGreaterThan(6 * 3_600_000 - 2 * MIN);
    expect(body.outageCost.milliTiyn).toBeGreaterThan(0);
  });

  it('register-reconciled charges the gap at the register delta', async () => {
    const strict = await get('site=ekb-1&from=2025-09-30&to=2025-10-02');
    const rec = await get('site=ekb-1&from=2025-09-30&to=2025-10-02&policy=register-reconciled');
    expect(rec.status).toBe(200);
    expect(rec.body.policy.name).toBe('register-reconciled');
    expect(rec.body.lines.some((l) => l.reason === 'gap-reconciled')).toBe(true);
    expect(rec.body.totals.feeMilliTiyn).toBeLessThan(strict.body.totals.feeMilliTiyn);
  });

  it('a whole quarter by taxpayer: complete, substituted before the first reading', async () => {
    const { status, body } = await get('period=2025-Q3&taxpayer=940140000385');
    expect(status).toBe(200);
    expect(body.period).toMatchObject({
      label: '2025-Q3',
      complete: true,
      from: '2025-06-30T19:00:00.000Z',
      to: '2025-09-30T19:00:00.000Z',
    });
    expect(body.lines.some((l) => l.reason === 'before-first-reading')).toBe(true);
    expect(new Set(body.lines.map((l) => l.siteId))).toEqual(
      new Set(registry.meters.filter((m) => m.taxpayerBin === '940140000385').map((m) => m.siteId)),
    );
  });

  it('a period in progress is the ledger so far (complete: false, cut at now)', async () => {
    const { status, body } = await get('period=2025-Q4&site=ekb-1');
    expect(status).toBe(200);
    expect(body.period.complete).toBe(false);
    expect(body.period.asOf).toBe(new Date(NOW).toISOString());
    expect(Math.max(...body.lines.map((l) => l.toMs))).toBe(NOW);
    // Not substituted up to the end of the quarter: the short tail waits for the next reading.
    const tail = body.lines.filter((l) => l.meterId === 'ekb-1-m01').at(-1)!;
    expect(tail.reason).toBe('no-reading-yet');
  });

  it.each([
    { name: 'unknown period syntax', q: 'period=2025-Q5', msg: /period '2025-Q5': expected YYYY-Qn/ },
    { name: 'unknown site', q: 'period=2025-Q3&site=nowhere', msg: /unknown site "nowhere"/ },
    { name: 'unknown taxpayer', q: 'period=2025-Q3&taxpayer=123456789012', msg: /unknown taxpayer BIN "123456789012"/ },
    {
      name: 'site of another taxpayer',
      q: 'period=2025-Q3&site=ast-3&taxpayer=940140000385',
      msg: /no meters for site "ast-3" and taxpayer/,
    },
    { name: 'from equal to to', q: 'from=2025-09-30&to=2025-09-30', msg: /from must be before to/ },
    { name: 'from after to', q: 'from=2025-10-01T00:00Z&to=2025-09-30', msg: /from must be before to/ },
    {
      name: 'both period and from',
      q: 'period=2025-Q3&from=2025-07-01&to=2025-07-02',
      msg: /either period or from and to/,
    },
    { name: 'neither', q: 'site=ekb-1', msg: /give period/ },
    { name: 'bad date', q: 'from=2025-02-30&to=2025-03-02', msg: /from: '2025-02-30' is not a valid date/ },
    { name: 'date syntax', q: 'from=30.09.2025&to=2025-10-01', msg: /from: a date YYYY-MM-DD/ },
    { name: 'unknown policy', q: 'period=2025-Q3&policy=lenient', msg: /policy: .*strict.*register-reconciled/ },
    { name: 'unknown parameter', q: 'period=2025-Q3&meter=x', msg: /unknown parameter meter/ },
    { name: 'period not started', q: 'period=2026-Q1', msg: /has not started yet/ },
  ])('400 for $name', async ({ q, msg }) => {
    const { status, body } = await get(q);
    expect(status).toBe(400);
    expect(body.error).toMatch(msg);
  });
});

describe('rollups behind', () => {
  it('answers 503 with what to wait for instead of a ledger from stale rollups', async () => {
    rollupsCurrent = false;
    try {
      const r = await get('period=2025-Q3&site=ekb-1');
      expect(r.status).toBe(503);
      expect(r.body.error).toMatch(/rollups are still catching up.*Try again in a minute.*kzm_rollup_pending_hourly/);
    } finally {
      rollupsCurrent = true;
    }
    expect((await get('period=2025-Q3&site=ekb-1')).status).toBe(200);
  });
});
