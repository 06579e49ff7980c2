/**
 * Issue 25, restarts: the live seed read every meter's raw readings of the last 30 days at each start (1,000
 * meters at 1-minute readings: 43 million points), and with several last() in one statement InfluxDB 1.x gave
 * the start of that range as the reading's time (seen: a reading of today seeded as "last reading 30 days ago").
 * Now the day rollups say where each meter's newest reading is, and only raw readings from that day on are read,
 * newest first, one row per meter. Real influxd 1.6.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS } from '../../src/fees/index.ts';
import { createLiveState } from '../../src/live/live-state.ts';
import { seedLiveState } from '../../src/live/live-seed.ts';
import { rebuildRollups } from '../../src/rollup/rebuild.ts';
import { emptyStats } from '../../src/store/query/client.ts';
import { lastReadingStatements, readLastReadings } from '../../src/store/query/live.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { readingLine, statusLine } from '../../src/store/schema.ts';
import { createWriteApi } from '../../src/store/write-api.ts';
import { startInflux, type TestInflux } from '../helpers/influx.ts';

const NOW = Math.floor(Date.now() / 60_000) * 60_000;
const STEP = 5 * 60_000;
let influx: TestInflux;
let target: InfluxTarget;

const reading = (meterId: string, tsMs: number, registerWh: number, fault = false) =>
  readingLine({ meterId, siteId: 's1', tsMs, registerWh, status: fault ? 'fault' : 'ok', kw: 12.5 }, tsMs + 700);

beforeAll(async () => {
  influx = await startInflux();
  target = await influx.database();
  const api = createWriteApi(target);
  const lines: string[] = [];
  // rolled: 10 days, rolled up; then 3 hours more that the rollups have not reached yet (the newest is a fault).
  for (let t = NOW - 10 * DAY_MS; t <= NOW - 3 * HOUR_MS; t += STEP) lines.push(reading('rolled', t, t / 1000));
  // unrolled: written around the service, never rolled up.
  for (let t = NOW - 5 * DAY_MS; t <= NOW - 2 * DAY_MS; t += STEP) lines.push(reading('unrolled', t, t / 2000));
  // old: nothing within the 30 days looked at.
  lines.push(reading('old', NOW - 40 * DAY_MS, 5));
  lines.push(statusLine({ meterId: 'rolled', siteId: 's1', state: 'offline' }, NOW - HOUR_MS));
  await api.writeLines(lines);
  const sink = { write: (l: readonly string[]) => api.writeLines(l) };
  await rebuildRollups({ target, sink, meterIds: ['rolled'], fromMs: NOW - 11 * DAY_MS, toMs: NOW - 3 * HOUR_MS + 1 });
  const late: string[] = [];
  for (let t = NOW - 3 * HOUR_MS + STEP; t <= NOW; t += STEP) late.push(reading('rolled', t, t / 1000, t === NOW));
  await api.writeLines(late);
}, 120_000);
afterAll(async () => influx?.stop());

describe('live seed at start (issue 25)', () => {
  it("gives each meter's newest reading with its own time, also past the rollups and without any", async () => {
    const live = createLiveState();
    await seedLiveState(target, live, ['rolled', 'unrolled', 'old', 'never'], NOW);
    expect(live.get('rolled')).toMatchObject({
      lastReadingTsMs: NOW,
      lastRegisterWh: NOW / 1000,
      lastReceivedMs: NOW + 700,
      lastKw: 12.5,
      lastReadingStatus: 'fault',
      status: 'offline',
      statusSinceMs: NOW - HOUR_MS,
    });
    const lastUnrolled = NOW - 2 * DAY_MS - ((NOW - 2 * DAY_MS - (NOW - 5 * DAY_MS)) % STEP);
    expect(live.get('unrolled')).toMatchObject({ lastReadingTsMs: lastUnrolled, lastReadingStatus: 'ok' });
    expect(live.get('old')?.lastReadingTsMs).toBeUndefined();
    expect(live.get('never')?.lastReadingTsMs).toBeUndefined();
  });

  it('reads raw readings only from the newest rolled-up day on: one row per meter, whatever the history', async () => {
    const stats = emptyStats();
    const got = await readLastReadings(target, ['rolled', 'unrolled'], NOW - 30 * DAY_MS, stats);
    expect(got.map((r) => r.meterId).sort()).toEqual(['rolled', 'unrolled']);
    // One request for the day rollups (a row per meter), one for the raw readings (a row per meter).
    expect(stats.requests).toBe(2);
    expect(stats.rows).toBe(1 + 2);
  });
});

describe('which raw readings the seed reads', () => {
  it('from the newest rolled-up day of each meter; back to the look-back only for a meter without rollups', () => {
    const since = Date.parse('2026-11-06T00:00:00Z');
    const day = Date.parse('2026-12-05T00:00:00Z');
    const ids = Array.from({ length: 150 }, (_, i) => `m${i}`);
    const statements = lastReadingStatements([...ids, 'bare'], new Map(ids.map((id) => [id, day])), since);
    // 150 meters with rollups: two statements from their day; the bare one: one statement from `since`.
    expect(statements.map((s) => /time >= (\d+)ms/.exec(s)![1])).toEqual([String(day), String(day), String(since)]);
    expect(statements[0]).toContain('ORDER BY time DESC LIMIT 1');
    expect(statements[2]).toContain(`"meter" = 'bare'`);
  });
});
