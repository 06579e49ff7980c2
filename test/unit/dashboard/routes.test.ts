/**
 * The dashboard's HTTP surface without a database: input checks (400 with a sentence, 404 for an
 * unknown meter), the pages and their assets (every module a page imports is served, none from
 * elsewhere), and the event stream: live changes arrive, and app.close() ends open streams.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadConfig } from '../../../src/config/load.ts';
import { buildApp } from '../../../src/http/app.ts';
import { dashboardRoutes } from '../../../src/http/dashboard/index.ts';
import { createLiveState, type LiveState } from '../../../src/live/live-state.ts';
import { createIngestMetrics } from '../../../src/ingest/metrics.ts';
import { loadRegistry } from '../../../src/registry/load.ts';
import { influxTarget } from '../../../src/store/influx-target.ts';
import { shippedTariffs } from '../fees/helpers.ts';
import { DEVICES_DIR } from '../../helpers/service.ts';

const registry = loadRegistry(DEVICES_DIR);
let app: FastifyInstance;
let live: LiveState;

beforeEach(async () => {
  live = createLiveState();
  // Nothing listens on port 9: routes that would read InfluxDB are not what these tests call.
  const target = influxTarget(loadConfig({ env: {} }).influx, 'http://127.0.0.1:9');
  const health = {
    influx: target,
    writer: { state: () => ({ pendingLines: 0, writing: false, consecutiveFailures: 0 }) },
    broker: () => ({ mode: 'embedded' as const, url: '', connected: true }),
  };
  app = await buildApp({
    registry,
    live,
    metrics: createIngestMetrics(),
    health,
    log: pino({ level: 'silent' }),
    plugins: [dashboardRoutes({ registry, tariffs: await shippedTariffs(), target, live, tickMs: 50, flushMs: 10 })],
  });
});
afterEach(async () => {
  await app.close();
});

describe('input checks', () => {
  it.each([
    { url: '/api/dashboard/overview?period=2025-Q5', status: 400, error: 'period: a quarter such as 2025-Q3' },
    { url: '/api/dashboard/overview?quarter=2025-Q3', status: 400, error: 'query: unknown parameter quarter' },
    { url: '/api/dashboard/meters?sort=state', status: 400, error: 'query: unknown parameter sort' },
    { url: '/api/dashboard/meters/EKB!', status: 400, error: 'id: a meter id: lower-case letters, digits, "-" or "_"' },
    { url: '/api/dashboard/meters/ekb-9-m99', status: 404, error: 'unknown meter "ekb-9-m99"' },
    {
      url: '/api/dashboard/meters/ekb-1-m01?from=2025-07-01',
      status: 400,
      error: 'to: give both from and to, or neither (the last 24 hours)',
    },
    { url: '/api/dashboard/meters/ekb-1-m01?from=yesterday&to=today', status: 400, error: 'from: a date YYYY-MM-DD' },
    {
      url: '/api/dashboard/meters/ekb-1-m01?from=2025-07-02&to=2025-07-01',
      status: 400,
      error: 'from must be before to (got 2025-07-02 .. 2025-07-01)',
    },
    {
      url: '/api/dashboard/events?topics=meters,weather',
      status: 400,
      error: 'topics[1]: each topic one of meters, overview, meter-ledger',
    },
  ])('$url -> $status', async ({ url, status, error }) => {
    const res = await app.inject(url);
    expect(res.statusCode).toBe(status);
    expect(res.json<{ error: string }>().error).toContain(error);
  });

  it('a page for an unknown meter is 404, a malformed one 400', async () => {
    expect((await app.inject('/meters/ekb-9-m99')).statusCode).toBe(404);
    expect((await app.inject('/meters/EKB!')).statusCode).toBe(400);
  });
});

describe('pages and assets', () => {
  it.each(['/', '/meters', '/meters/ekb-1-m01', '/periods'])('%s: the HTML shell, same-origin only', async (url) => {
    const res = await app.inject(url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(res.body).toContain('<script type="module" src="/assets/app.js">');
  });

  it('every module and stylesheet the pages load is served from here', async () => {
    const pending = ['/assets/app.js'];
    const shell = (await app.inject('/')).body;
    for (const m of shell.matchAll(/<(?:link|script)\b[^>]*\b(?:href|src)="([^"]+)"/g)) pending.push(m[1]!);
    const seen = new Set<string>();
    while (pending.length) {
      const url = pending.pop()!;
      if (seen.has(url)) continue;
      seen.add(url);
      expect(url.startsWith('/assets/'), url).toBe(true);
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(200);
      if (!url.endsWith('.js')) continue;
      for (const m of res.body.matchAll(/(?:import\s*\(\s*|from\s+)'([^']+)'/g))
        pending.push(new URL(m[1]!, `http://x${url}`).pathname);
    }
    expect([...seen]).toEqual(
      expect.arrayContaining([
        '/assets/vendor/uPlot.esm.js',
        '/assets/vendor/uPlot.min.css',
        '/assets/pages/meter-detail.js',
        '/assets/strings.js',
      ]),
    );
  });

  it('gzip when accepted, 304 on a matching ETag, 404 outside the table', async () => {
    const url = '/assets/vendor/uPlot.esm.js';
    const plain = await app.inject(url);
    const gz = await app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
    expect((await app.inject({ url, headers: { 'if-none-match': String(plain.headers.etag) } })).statusCode).toBe(304);
    expect((await app.inject('/assets/%2e%2e/index.ts')).statusCode).toBe(404);
    expect((await app.inject('/assets/nope.js')).statusCode).toBe(404);
  });

  it('the meters view keeps its live columns when the ledger cannot be computed', async () => {
    live.onReading(
      { meterId: 'ekb-1-m01', siteId: 'ekb-1', tsMs: Date.now(), registerWh: 5_000_000, kw: 70, status: 'ok' },
      Date.now(),
    );
    const res = await app.inject('/api/dashboard/meters');
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      ledgerError: string | null;
      meters: { id: string; live: { state: string; lastRegisterKwh: string } }[];
    }>();
    expect(body.ledgerError).toMatch(/InfluxDB/);
    expect(body.meters).toHaveLength(registry.meters.length);
    expect(body.meters.find((m) => m.id === 'ekb-1-m01')!.live).toMatchObject({
      state: 'online',
      lastRegisterKwh: '5000.000',
    });
  });
});

describe('event stream', () => {
  async function open(url: string) {
    const res = await fetch(url);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    return {
      res,
      /** Reads until `re` matches what arrived; null when the stream ended first. */
      async until(re: RegExp): Promise<RegExpMatchArray | null> {
        for (;;) {
          const m = text.match(re);
          if (m) return m;
          const { done, value } = await reader.read();
          if (done) return null;
          text += decoder.decode(value, { stream: true });
        }
      },
      async ended(): Promise<boolean> {
        for (;;) {
          const { done } = await reader.read();
          if (done) return true;
        }
      },
    };
  }

  it('sends every meter, then the ones ingest touches; app.close() ends the open stream', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address() as { port: number };
    const s = await open(`http://127.0.0.1:${addr.port}/api/dashboard/events?topics=meters`);
    expect(s.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const first = await s.until(/event: meters\ndata: (.*)\n\n/);
    expect((JSON.parse(first![1]!) as { id: string }[]).map((r) => r.id)).toEqual(registry.meters.map((m) => m.id));
    live.onStatus({ meterId: 'ast-3-m02', siteId: 'ast-3', state: 'offline' }, Date.now());
    const change = await s.until(/event: meter\ndata: (.*"ast-3-m02".*)\n\n/);
    expect(JSON.parse(change![1]!)).toEqual([expect.objectContaining({ id: 'ast-3-m02', state: 'offline' })]);
    await app.close();
    expect(await s.ended()).toBe(true);
  });
});
