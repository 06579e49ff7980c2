/** Many readers of /api/ledger: single flight, a cache that knows when the rollups changed, overload and outage as 503. */
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { loadTariffs, type TariffSet } from '../../src/fees/index.ts';
import { buildApp } from '../../src/http/app.ts';
import { ledgerRoutes, type LedgerRouteStats } from '../../src/http/routes/ledger.ts';
import { createIngestMetrics } from '../../src/ingest/metrics.ts';
import { createLedgerService, type LedgerServiceDeps } from '../../src/ledger/ledger-service.ts';
import { meterFacts } from '../../src/ledger/scope.ts';
import { createLiveState } from '../../src/live/live-state.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import type { Registry } from '../../src/registry/types.ts';
import { createChangeLog } from '../../src/rollup/change-log.ts';
import { influxTarget, type InfluxTarget } from '../../src/store/influx-target.ts';
import { useInflux } from '../helpers/influx.ts';
import { MIN, at, generate, writeMeterData } from '../unit/ledger/store-fixtures.ts';

const NOW = at('2025-10-02T12:00+05:00');
const influx = useInflux();
let target: InfluxTarget;
let registry: Registry;
let tariffs: TariffSet;

beforeAll(async () => {
  target = influx.target();
  registry = loadRegistry(fileURLToPath(new URL('../../devices', import.meta.url)));
  const t = await loadTariffs(fileURLToPath(new URL('../../tariffs', import.meta.url)));
  if (!t.ok) throw new Error(t.reason);
  tariffs = t.value;
  const meter = (id: string) => meterFacts(registry.meterById.get(id)!);
  const span = { fromMs: at('2025-09-20T00:00+05:00'), toMs: NOW - MIN, stepMs: MIN };
  await writeMeterData(target, [
    generate({ ...span, facts: meter('ekb-1-m01'), powerW: 40_000, noise: 0.05 }),
    generate({ ...span, facts: meter('ekb-1-m02'), powerW: 40_000 }),
  ]);
});

/** n distinct ledger queries of site ekb-1 (date ranges x policies), n <= 420. */
function distinctLedgerUrls(n: number): string[] {
  const urls: string[] = [];
  for (let from = 10; from < 30; from++)
    for (let to = from + 1; to <= 30; to++)
      for (const p of ['strict', 'register-reconciled'])
        urls.push(`/api/ledger?site=ekb-1&from=2025-09-${from}&to=2025-09-${to}&policy=${p}`);
  expect(new Set(urls).size).toBeGreaterThanOrEqual(n);
  return urls.slice(0, n);
}

/** The period and policy the answer to a distinctLedgerUrls query names. */
const askedFor = (url: string): { label: string; policy: string } => {
  const q = new URL(url, 'http://x').searchParams;
  return { label: `${q.get('from')}..${q.get('to')} (to exclusive)`, policy: q.get('policy')! };
};

async function appWith(
  t: InfluxTarget,
  cacheLimits?: LedgerServiceDeps['cacheLimits'],
  route: { stats?: (s: () => LedgerRouteStats) => void } = {},
): Promise<FastifyInstance> {
  const ledger = ledgerRoutes({
    registry,
    tariffs,
    target: t,
    now: () => NOW,
    rollupChanges: createChangeLog(),
    ...(cacheLimits && { cacheLimits }),
  });
  route.stats?.(ledger.stats);
  return buildApp({
    registry,
    live: createLiveState(),
    metrics: createIngestMetrics(),
    log: pino({ level: 'silent' }),
    now: () => NOW,
    health: {
      influx: t,
      writer: { state: () => ({ pendingLines: 0, writing: false, consecutiveFailures: 0 }) },
      broker: () => ({ mode: 'embedded', url: '', connected: true }),
    },
    plugins: [ledger],
  });
}

describe('ledger readers at scale', () => {
  it('200 identical concurrent requests share one computation and get identical answers', async () => {
    const svc = createLedgerService({ registry, tariffs, target, now: () => NOW, rollupChanges: createChangeLog() });
    const query = { site: 'ekb-1', from: '2025-09-21', to: '2025-09-30' };
    const answers = await Promise.all(Array.from({ length: 200 }, () => svc.ledger(query)));
    expect(answers.every((a) => a.ok)).toBe(true);
    const first = JSON.stringify(answers[0]);
    expect(answers.every((a) => JSON.stringify(a) === first)).toBe(true);
    expect(svc.cacheStats()).toEqual({ computed: 1, shared: 199, cached: 0 });
  });

  it('a finished ledger is kept until a rollup pass changes an hour it reads, and only then recomputed', async () => {
    const changes = createChangeLog();
    const svc = createLedgerService({ registry, tariffs, target, now: () => NOW, rollupChanges: changes });
    const query = { site: 'ekb-1', from: '2025-09-22', to: '2025-09-24' };
    await svc.ledger(query);
    await svc.ledger(query);
    expect(svc.cacheStats()).toMatchObject({ computed: 1, cached: 1 });
    changes.record([['ekb-1-m01', at('2025-09-10T00:00+05:00')]]); // far before: not read by this ledger
    await svc.ledger(query);
    changes.record([['ast-3-m01', at('2025-09-23T10:00+05:00')]]); // inside, but a meter of another site
    await svc.ledger(query);
    expect(svc.cacheStats()).toMatchObject({ computed: 1, cached: 3 });
    changes.record([['ekb-1-m02', at('2025-09-23T10:00+05:00')]]); // inside: a late reading was rolled up
    await svc.ledger(query);
    expect(svc.cacheStats()).toMatchObject({ computed: 2, cached: 3 });
    await svc.ledger(query);
    expect(svc.cacheStats()).toMatchObject({ computed: 2, cached: 4 });
  });

  it('a running period is never kept: its gap to now grows with the clock', async () => {
    const svc = createLedgerService({ registry, tariffs, target, now: () => NOW, rollupChanges: createChangeLog() });
    await svc.ledger({ site: 'ekb-1', period: '2025-Q4' });
    await svc.ledger({ site: 'ekb-1', period: '2025-Q4' });
    expect(svc.cacheStats()).toMatchObject({ computed: 2, cached: 0 });
  });

  // Issue 22, item 6: the computation was shared, the serialisation of the answer was not (one copy through the
  // response schema and one JSON string per request: 200 readers of a 2,000-meter quarter ran the heap out).
  it('200 identical concurrent requests over HTTP: all 200, one computation, one serialisation, the same bytes', async () => {
    let stats!: () => LedgerRouteStats;
    const app = await appWith(target, undefined, { stats: (s) => (stats = s) });
    try {
      const url = '/api/ledger?site=ekb-1&period=2025-Q4'; // the running quarter at NOW: never kept, only shared
      const res = await Promise.all(Array.from({ length: 200 }, () => app.inject({ method: 'GET', url })));
      expect(res.map((r) => r.statusCode).filter((s) => s !== 200)).toEqual([]);
      expect(new Set(res.map((r) => r.body)).size).toBe(1);
      expect(res[0]!.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res[0]!.json()).toMatchObject({ period: { label: '2025-Q4', complete: false }, scope: { site: 'ekb-1' } });
      expect(stats()).toMatchObject({ computed: 1, shared: 199, serialised: 1, refusedForBytes: 0 });
      // A client that takes gzip (a browser) gets the same answer gzipped, from the same computation.
      const gz = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip, deflate' } });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gz.headers.vary).toBe('accept-encoding');
      expect(gunzipSync(gz.rawPayload).toString('utf8')).toBe(res[0]!.body);
    } finally {
      await app.close();
    }
  });

  it('200 distinct concurrent ledgers are all answered 200, none refused', async () => {
    const app = await appWith(target);
    try {
      const urls = distinctLedgerUrls(200);
      const res = await Promise.all(urls.map((url) => app.inject({ method: 'GET', url })));
      expect(res.map((r) => r.statusCode).filter((s) => s !== 200)).toEqual([]);
      // Each answer is its own ledger, not a neighbour's.
      for (const [i, r] of res.entries()) {
        const { label, policy } = askedFor(urls[i]!);
        expect({ label: r.json().period.label, policy: r.json().policy.name }).toEqual({ label, policy });
      }
    } finally {
      await app.close();
    }
  });

  it('more distinct ledgers than it computes and queues at once: 503 with Retry-After, never a 500', async () => {
    // 2 computed at once, 8 queued: of 40 distinct requests at once the rest are refused at once.
    const app = await appWith(target, { maxActive: 2, maxQueued: 8 });
    try {
      const res = await Promise.all(distinctLedgerUrls(40).map((url) => app.inject({ method: 'GET', url })));
      const statuses = res.map((r) => r.statusCode);
      expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(10);
      const refused = res.filter((r) => r.statusCode === 503);
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) {
        expect(r.headers['retry-after']).toBe('5');
        expect(r.json().error).toMatch(/Too many distinct ledger computations at once .*try again in 5 s/);
      }
    } finally {
      await app.close();
    }
  });

  it('InfluxDB not answering is a 503 naming the cause, with Retry-After', async () => {
    const dead = influxTarget(
      loadConfig({ env: {}, overrides: { influx: { timeoutMs: 1000 } } }).influx,
      'http://127.0.0.1:9',
    );
    const app = await appWith(dead);
    try {
      const res = await app.inject({ method: 'GET', url: '/api/ledger?site=ekb-1&from=2025-09-21&to=2025-09-22' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json().error).toMatch(/InfluxDB at http:\/\/127\.0\.0\.1:9 did not answer/);
    } finally {
      await app.close();
    }
  });
});
