/**
 * Issue 25, restarts: after a restart the ledger and the dashboard answered 503 for about 117 s while the
 * rollups worked through a recovery as large as the history and fee_1d recomputed the whole quarter; start-up
 * work grew with history. Here 100 meters have 14 days of 5-minute readings (written straight into InfluxDB
 * with their rollups); the service runs, takes half an hour of live readings and stops; while it is down the
 * meters buffer another half hour, which they send as it comes back. The test asserts what the restart does:
 * the ledger and the dashboard answer at once, nothing is recovered that the clean stop left done, the rollups
 * recompute only the hours the buffered readings touched, fee_1d only the days since its checkpoint, and no
 * query runs past the timeout. The time from /health ok to the first ledger answer is printed (the bench
 * measures it: `npm run bench restart`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quarterAt } from '../../src/fees/index.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import { queryCounts } from '../../src/store/query/client.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { type History, readingsAfter, writeHistory } from '../helpers/history.ts';
import { startInflux, type TestInflux } from '../helpers/influx.ts';
import { connectMeter, publishAll } from '../helpers/mqtt.ts';
import { queryRows, startService } from '../helpers/service.ts';

const METERS = 100;
const DAYS = 14;
const STEP = 300_000;
const MIN = 60_000;
const NOW = Math.floor(Date.now() / STEP) * STEP;
/** The history ends an hour ago; the first run takes the next half hour, the meters buffer the last one. */
const HISTORY_END = NOW - 60 * MIN;
const DOWN_FROM = NOW - 30 * MIN;
let influx: TestInflux;
let target: InfluxTarget;
let history: History;
let dataDir: string;

beforeAll(async () => {
  influx = await startInflux();
  target = await influx.database();
  history = await writeHistory(target, { meters: METERS, days: DAYS, stepMs: STEP, endMs: HISTORY_END });
  dataDir = mkdtempSync(join(tmpdir(), 'kzm-restart-'));
}, 120_000);
afterAll(async () => {
  await influx?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (history) rmSync(history.registryDir, { recursive: true, force: true });
});

/** A logger whose lines the test reads. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { log, lines, find: (msg: string) => lines.find((l) => l.msg === msg) };
}

/** Every meter sends its readings of (afterMs, toMs] as one array (a gateway flushing its buffer). */
async function sendReadings(brokerUrl: string, afterMs: number, toMs: number): Promise<number> {
  const c = await connectMeter(brokerUrl, 'restart-gateway', { will: false });
  const msgs = history.facts.map((f, i) => ({
    topic: `meters/${f.meterId}/reading`,
    payload: JSON.stringify(readingsAfter(history, i, afterMs, toMs)),
  }));
  await publishAll(c, msgs);
  await c.endAsync();
  return history.facts.reduce((n, _, i) => n + readingsAfter(history, i, afterMs, toMs).length, 0);
}

const period = quarterAt(NOW, 'Asia/Almaty').label;
const count = async () => Number((await queryRows(target, 'SELECT count("wh") AS n FROM "reading"'))[0]?.n ?? 0);

describe('a restart with history (issue 25)', () => {
  it(
    'answers the ledger and the dashboard at once, and does only what changed since the stop',
    { timeout: 120_000 },
    async () => {
      const registry = loadRegistry(history.registryDir);
      const first = capturedLog();
      const a = await startService(target, { dataDir }, registry, first.log);
      const live = await sendReadings(a.brokerUrl, HISTORY_END, DOWN_FROM);
      expect(await a.rollups.flush()).toBe(true);
      await a.feeDays.flush(); // what its first start computes, the running quarter for every meter
      const quarter = first.find('Fee days of the running quarter computed.');
      expect(quarter?.why).toBe('no checkpoint');
      await a.stop();
      expect(await count()).toBe(history.readings + live);

      const second = capturedLog();
      const queries = queryCounts();
      const b = await startService(target, { dataDir }, registry, second.log);
      const health = await fetch(`${b.httpUrl}/health`);
      expect(health.status).toBe(200);
      const healthOk = performance.now();
      // The meters come back with what they buffered while it was down.
      const buffered = sendReadings(b.brokerUrl, DOWN_FROM, NOW);
      const ledger = await fetch(`${b.httpUrl}/api/ledger?period=${period}`);
      const answeredMs = performance.now() - healthOk;
      expect(ledger.status, await ledger.clone().text()).toBe(200);
      expect((await fetch(`${b.httpUrl}/api/dashboard/overview`)).status).toBe(200);
      console.log(
        `restart, ${METERS} meters x ${DAYS} days of 5-minute readings: the ledger answered ${answeredMs.toFixed(0)} ms after /health ok`,
      );
      const sent = await buffered;
      expect(await b.rollups.flush()).toBe(true);
      await b.feeDays.flush();
      try {
        expect(await count()).toBe(history.readings + live + sent);
        // The clean stop left no rollup to recover; the buffered readings touched one or two hours of each meter.
        expect(second.find('Recomputing rollups of readings stored before the last stop.')).toBeUndefined();
        expect(b.rollups.worker.state().hoursRecomputed).toBeLessThanOrEqual(METERS * 2);
        // fee_1d: the days since its checkpoint (at most 4 local days a meter), not the quarter.
        const resumed = second.find(
          'Fee days resumed from their checkpoint: the days since it recomputed, and the meters with readings that arrived after it.',
        );
        expect(resumed, JSON.stringify(second.lines.filter((l) => Number(l.level) >= 40))).toBeDefined();
        expect(Number(resumed!.points)).toBeLessThanOrEqual(METERS * 4);
        expect(Number(resumed!.points)).toBeLessThan(Number(quarter!.points) / 3);
        // No query ran past the timeout (a slow one would have been halved and said so).
        expect(queryCounts().timeout - queries.timeout).toBe(0);
        expect(
          second.lines.filter(
            (l) => l.msg === 'Derived-data pass ran past the query timeout; the next passes ask for less.',
          ),
        ).toEqual([]);
      } finally {
        await b.stop();
      }
    },
  );
});
