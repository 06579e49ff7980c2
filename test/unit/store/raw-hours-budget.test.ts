/**
 * Issue 25: at npm start a rollup pass asked for a quarter of a dozen meters in one statement (1.1 M readings);
 * it ran past the 10 s query timeout, and so did the next, halved, passes. Raw hours are now read a day at most a
 * statement and at most 2,000 meter-hours a request, however many the caller asks for. (A capture server
 * answers: this checks the requests, not InfluxDB.)
 */
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { HOUR_MS } from '../../../src/fees/index.ts';
import { createIngestMetrics } from '../../../src/ingest/metrics.ts';
import { emptyStats, queryCounts } from '../../../src/store/query/client.ts';
import { RAW_HOURS_BUDGET, readRawHours } from '../../../src/store/query/raw-readings.ts';
import { influxTarget } from '../../../src/store/influx-target.ts';

const requests: string[][] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    requests.push((new URLSearchParams(body).get('q') ?? '').split(';\n'));
    res.setHeader('content-type', 'application/json');
    res.end('{"results":[]}');
  });
});
let base = '';
beforeAll(
  () =>
    new Promise<void>((r) =>
      server.listen(0, '127.0.0.1', () => {
        base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        r();
      }),
    ),
);
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** meters x hours of each statement, from its regex or = and its time range. */
function spanOf(statement: string): { meters: string[]; fromMs: number; toMs: number } {
  const re = /"meter" =~ \/\^\(\?:(.*)\)\$\//.exec(statement);
  const one = /"meter" = '([^']*)'/.exec(statement);
  const [, from, to] = /time >= (\d+)ms AND time < (\d+)ms/.exec(statement)!;
  return { meters: re ? re[1]!.split('|') : [one![1]!], fromMs: Number(from), toMs: Number(to) };
}

describe('raw hours read in bounded requests (issue 25)', () => {
  it('a quarter of 12 meters: a day at most a statement, 2,000 meter-hours at most a request, every hour asked for', async () => {
    const target = influxTarget(loadConfig({ env: {} }).influx, base);
    const from = Date.parse('2026-10-01T00:00:00Z');
    const hours = Array.from({ length: 66 * 24 }, (_, i) => from + i * HOUR_MS);
    const needed = new Map(Array.from({ length: 12 }, (_, m) => [`m${m}`, hours] as const));
    const stats = emptyStats();
    const before = queryCounts();
    await readRawHours(target, needed, stats);
    expect(stats.rawHours).toBe(12 * 66 * 24);
    const covered = new Set<string>();
    for (const statements of requests) {
      let meterHours = 0;
      for (const st of statements) {
        const s = spanOf(st);
        expect(s.toMs - s.fromMs).toBeLessThanOrEqual(RAW_HOURS_BUDGET.maxRunMs);
        meterHours += (s.meters.length * (s.toMs - s.fromMs)) / HOUR_MS;
        for (const m of s.meters) for (let t = s.fromMs; t < s.toMs; t += HOUR_MS) covered.add(`${m}/${t}`);
      }
      expect(meterHours).toBeLessThanOrEqual(2_000);
    }
    expect(covered.size).toBe(12 * 66 * 24);
    expect(requests.length).toBeGreaterThanOrEqual(Math.ceil((12 * 66 * 24) / 2_000));
    expect(stats.requests).toBe(requests.length);
    // Counted for /metrics (the bench reads the queries made at start there).
    expect(queryCounts().ok - before.ok).toBe(requests.length);
    const text = await createIngestMetrics().registry.metrics();
    expect(text).toContain(`kzm_influx_queries_total{outcome="ok"} ${queryCounts().ok}`);
    expect(text).toContain(`kzm_influx_query_statements_total ${queryCounts().statements}`);
  });
});
