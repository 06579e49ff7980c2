/**
 * Rollups kept current by the running service (embedded broker, real influxd):
 * readings published over MQTT end up in reading_1h / reading_1d, a late reading
 * into an old hour updates both, the ledger from rollups equals the ledger from
 * every raw reading, and marks left by a service that died before rolling up
 * are recovered at the next start (bounded by the checkpoint).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type TariffSet } from '../../src/fees/index.ts';
import { shippedTariffs } from '../unit/fees/helpers.ts';
import { computeRawLedger, computeStoreLedger } from '../../src/ledger/store-ledger.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import { meterFacts } from '../../src/ledger/scope.ts';
import pino from 'pino';
import { rollupMain } from '../../src/cli/rollup.ts';
import { createRollupWorker, type RollupWorkerOptions } from '../../src/rollup/worker.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { dirtyMarkLine, readingLine } from '../../src/store/schema.ts';
import { useInflux } from '../helpers/influx.ts';
import { connectMeter, publishAll } from '../helpers/mqtt.ts';
import { eventually } from '../helpers/eventually.ts';
import { holdFor } from '../helpers/hold-for.ts';
import { DEVICES_DIR, queryRows, startService } from '../helpers/service.ts';
import { postLines } from '../unit/ledger/store-fixtures.ts';

const H = 3_600_000;
const MIN = 60_000;
const DAY = 24 * H;
const T0 = Math.floor((Date.now() - 3 * DAY) / DAY) * DAY + 20 * H; // 20:00 UTC three days ago: 30 h cross a UTC midnight
const registry = loadRegistry(DEVICES_DIR);
const influx = useInflux();
let target: InfluxTarget;
let tariffs: TariffSet;

beforeAll(async () => {
  target = influx.target();
  tariffs = await shippedTariffs();
});

/** 30 hours of 1-minute readings at ~80 kW; m01 has a 20-minute silence, m02 a fault. */
function readingsOf(meterId: string): { ts: number; kwh: number; status?: 'fault' }[] {
  const out: { ts: number; kwh: number; status?: 'fault' }[] = [];
  for (let i = 0; i < 30 * 60; i++) {
    const ts = T0 + i * MIN;
    if (meterId === 'ekb-1-m01' && ts >= T0 + 5 * H && ts < T0 + 5 * H + 20 * MIN) continue;
    out.push({
      ts,
      kwh: (1_000_000 + i * 1333) / 1000,
      ...(meterId === 'ekb-1-m02' && i === 700 && { status: 'fault' as const }),
    });
  }
  return out;
}

async function publish(brokerUrl: string, meterId: string, readings: readonly object[]): Promise<void> {
  const c = await connectMeter(brokerUrl, meterId, { will: false });
  const msgs = [];
  for (let i = 0; i < readings.length; i += 60)
    msgs.push({ topic: `meters/${meterId}/reading`, payload: JSON.stringify(readings.slice(i, i + 60)) });
  await publishAll(c, msgs);
  await c.endAsync();
}

/** Minute readings of one meter from T0 (+ `from` minutes), 1,300 Wh apart, written around the service. */
const postMinutes = (meterId: string, count: number, startWh: number, from = 0) =>
  postLines(
    target,
    Array.from({ length: count }, (_, k) =>
      readingLine(
        {
          meterId,
          siteId: registry.meterById.get(meterId)!.siteId,
          tsMs: T0 + (from + k) * MIN,
          registerWh: startWh + (from + k) * 1300,
          status: 'ok',
        },
        Date.now(),
      ),
    ),
  );

/** A rollup worker on this file's database, writing its rollups straight to InfluxDB. */
const workerWith = (o: Pick<RollupWorkerOptions, 'intervalMs' | 'settleMs'> & Partial<RollupWorkerOptions>) =>
  createRollupWorker({
    target,
    sink: { write: (l) => postLines(target, l) },
    log: pino({ level: 'silent' }),
    maxHoursPerPass: 1000,
    ...o,
  });

const rollupRows = (measurement: string, meterId: string) =>
  queryRows(
    target,
    `SELECT "count", "first_ts", "last_ts", "faults", "max_gap" FROM "${measurement}" WHERE "meter" = '${meterId}'`,
  );

async function expectStoreEqualsRaw(
  meterIds: readonly string[],
  fromMs: number,
  toMs: number,
  fewerRaw = true,
): Promise<void> {
  const meters = meterIds.map((id) => ({ facts: meterFacts(registry.meterById.get(id)!), fromMs, toMs }));
  const store = await computeStoreLedger({ target, meters, tariffs, policy: DEFAULT_POLICY });
  const raw = await computeRawLedger({ target, meters, tariffs, policy: DEFAULT_POLICY });
  expect(store.meters).toEqual(raw.meters);
  if (fewerRaw) expect(store.stats.rawReadings).toBeLessThan(raw.stats.rawReadings / 10);
}

describe('rollups kept current by the service', () => {
  it('published readings are rolled up per hour and per UTC day; a late reading updates both; the ledger equals the raw one', async () => {
    const svc = await startService(target);
    try {
      const data = { 'ekb-1-m01': readingsOf('ekb-1-m01'), 'ekb-1-m02': readingsOf('ekb-1-m02') };
      await Promise.all(Object.entries(data).map(([id, r]) => publish(svc.brokerUrl, id, r)));
      expect(await svc.rollups.flush()).toBe(true);
      for (const [id, r] of Object.entries(data)) {
        const hours = await rollupRows('reading_1h', id);
        expect(hours).toHaveLength(30);
        expect(hours.reduce((a, h) => a + (h.count as number), 0)).toBe(r.length);
        const days = await rollupRows('reading_1d', id);
        const perDay = new Map<number, number>();
        for (const x of r) perDay.set(Math.floor(x.ts / DAY), (perDay.get(Math.floor(x.ts / DAY)) ?? 0) + 1);
        expect(days.map((d) => d.count)).toEqual([...perDay.values()]); // 20:00-24:00, a whole day, 00:00-02:00
        expect(days).toHaveLength(3);
      }
      const dayRows = await rollupRows('reading_1d', 'ekb-1-m01');
      expect(Math.max(...dayRows.map((d) => d.max_gap as number))).toBe(21 * MIN);
      expect((await rollupRows('reading_1d', 'ekb-1-m02')).reduce((a, d) => a + (d.faults as number), 0)).toBe(1);
      await expectStoreEqualsRaw(['ekb-1-m01', 'ekb-1-m02'], T0 + 2 * H, T0 + 28 * H);

      // A gateway flushes one buffered reading into the old silence.
      await publish(svc.brokerUrl, 'ekb-1-m01', [{ ts: T0 + 5 * H + 10 * MIN, kwh: (1_000_000 + 310 * 1333) / 1000 }]);
      expect(await svc.rollups.flush()).toBe(true);
      const hour = (
        await queryRows(
          target,
          `SELECT "count", "max_gap" FROM "reading_1h" WHERE "meter" = 'ekb-1-m01' AND time = ${T0 + 5 * H}ms`,
        )
      )[0]!;
      expect(hour).toMatchObject({ count: 41, max_gap: 10 * MIN }); // 05:10 -> 05:20 (04:59 -> 05:10 crosses into the hour from the previous one)
      expect((await rollupRows('reading_1d', 'ekb-1-m01')).reduce((a, d) => a + (d.count as number), 0)).toBe(
        data['ekb-1-m01'].length + 1,
      );
      await expectStoreEqualsRaw(['ekb-1-m01'], T0 + 2 * H, T0 + 28 * H);
    } finally {
      await svc.cleanup();
    }
  });

  it('marks left by a service that died before rolling up are recovered at the next start; the checkpoint bounds the look-back', async () => {
    const now = Date.now();
    const site = (id: string) => registry.meterById.get(id)!.siteId;
    const crashLines = (meterId: string, rxMs: number) => {
      const lines: string[] = [];
      for (let i = 0; i < 3 * 60; i++) {
        const tsMs = T0 + i * MIN;
        lines.push(
          readingLine({ meterId, siteId: site(meterId), tsMs, registerWh: 2_000_000 + i * 1300, status: 'ok' }, rxMs),
        );
      }
      for (const h of [T0, T0 + H, T0 + 2 * H]) lines.push(dirtyMarkLine(meterId, h, rxMs, 600_000));
      return lines;
    };
    // Stored with their marks a minute ago, and two hours ago, by a service that then died.
    await postLines(target, [...crashLines('ekb-1-m03', now - MIN), ...crashLines('ekb-1-m04', now - 2 * H)]);
    const dataDir = mkdtempSync(join(tmpdir(), 'kzm-rollup-restart-'));
    try {
      // Its checkpoint says everything that arrived before an hour ago was rolled up.
      writeFileSync(
        join(dataDir, 'rollup-checkpoint.json'),
        JSON.stringify({ rolledUpBeforeMs: now - H, writtenAt: new Date(now - H).toISOString() }),
      );
      const svc = await startService(target, { dataDir });
      try {
        expect(await svc.rollups.flush()).toBe(true);
        expect((await rollupRows('reading_1h', 'ekb-1-m03')).map((h) => h.count)).toEqual([60, 60, 60]);
        expect(await rollupRows('reading_1d', 'ekb-1-m03')).toHaveLength(1);
        await expectStoreEqualsRaw(['ekb-1-m03'], T0, T0 + 3 * H);
        // Marks older than the checkpoint are not looked at again...
        expect(await rollupRows('reading_1h', 'ekb-1-m04')).toHaveLength(0);
      } finally {
        await svc.cleanup();
      }
      // ... and `kzmeter rollup` recomputes any range from the raw readings.
      const day = (t: number) => new Date(Math.floor(t / DAY) * DAY).toISOString().slice(0, 10);
      const errs: string[] = [];
      const env = {
        KZM_INFLUX_URL: target.url,
        KZM_INFLUX_DATABASE: target.database,
        KZM_REGISTRY_DIR: DEVICES_DIR,
        KZM_LOG_LEVEL: 'silent',
      };
      expect(
        await rollupMain(['--from', day(T0), '--to', day(T0 + 2 * DAY), '--site', site('ekb-1-m04')], {
          env,
          err: (t) => errs.push(t),
        }),
      ).toBe(0);
      expect(errs.join('')).toMatch(/Rollups recomputed: \d+ meter-hours and \d+ meter-days from \d+ readings/);
      expect(await rollupMain(['--from', '2025-13-01', '--to', '2025-01-01'], { env, err: (t) => errs.push(t) })).toBe(
        2,
      );
      expect((await rollupRows('reading_1h', 'ekb-1-m04')).map((h) => h.count)).toEqual([60, 60, 60]);
      await expectStoreEqualsRaw(['ekb-1-m04'], T0, T0 + 3 * H);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('after a clean stop the next start recovers nothing (issue 25: it read the last 10-minute slot back whole, after a backfill everything)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kzm-rollup-clean-'));
    try {
      const a = await startService(target, { dataDir });
      try {
        for (const id of ['kpg-2-m01', 'kpg-2-m02']) await publish(a.brokerUrl, id, readingsOf(id).slice(0, 6 * 60));
        expect(await a.rollups.flush()).toBe(true);
        expect(a.rollups.worker.state().hoursRecomputed).toBeGreaterThanOrEqual(12);
      } finally {
        await a.stop();
      }
      const b = await startService(target, { dataDir });
      try {
        // Its marks are all in the slot of the stop: a stop that left nothing pending says so.
        expect(await b.rollups.flush()).toBe(true);
        expect(b.rollups.worker.state().hoursRecomputed).toBe(0);
      } finally {
        await b.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('with a settle delay each hour is recomputed once more, catching a reading another ingester stored meanwhile, then the worker goes quiet', async () => {
    const meterId = 'ekb-1-m05';
    await postMinutes(meterId, 30, 3_000_000);
    const worker = workerWith({ intervalMs: 20, settleMs: 300 });
    worker.start();
    worker.markDirty(meterId, T0, Date.now());
    expect(await worker.flush()).toBe(true);
    expect((await rollupRows('reading_1h', meterId)).map((h) => h.count)).toEqual([30]);
    // Another ingester stores the rest of the hour; its own mark went to its own worker, not this one.
    await postMinutes(meterId, 30, 3_000_000, 30);
    const hours = await eventually(
      () => rollupRows('reading_1h', meterId),
      (r) => r[0]?.count === 60,
      5000,
    );
    expect(hours.map((h) => h.count)).toEqual([60]);
    await holdFor(1000, 'the watch window: three settle delays (300 ms) in which no further pass may run');
    expect(worker.state().passes).toBe(2); // the first pass and one settle pass: no endless re-settling
    expect(worker.state().pendingHours).toBe(0);
    await worker.stop();
  });

  it('issue 27: hours marked again during a pass wait the interval (no pass back to back in a steady stream); a full pass (a backlog) goes on at once', async () => {
    // Before: a pass after which anything was pending ran the next at once. In a steady stream every meter-hour is
    // marked again during each pass: 9 passes in a 5 s embedded drain of 100,000 readings, each rewriting all 1,000
    // hour and day rows (18,000 rollup rows, a third of influxd's work on top of the readings).
    const meterId = 'ekb-1-m07';
    await postMinutes(meterId, 90, 5_000_000);
    const make = (maxHoursPerPass: number, duringFirstPass: () => void) => {
      let first = true;
      return workerWith({
        intervalMs: 60_000, // a pass "later" is a minute away: nothing in this test waits for one
        settleMs: 0,
        maxHoursPerPass,
        beforePass: async () => {
          if (first) duringFirstPass();
          first = false;
        },
      });
    };
    // A steady stream: the hour is marked again while the first pass runs.
    const steady: ReturnType<typeof make> = make(1000, () => steady.markDirty(meterId, T0, Date.now()));
    steady.markDirty(meterId, T0, Date.now());
    steady.start();
    const after = await eventually(
      () => steady.state(),
      (st) => st.passes === 1 && st.nextPassInMs !== 0,
      10_000,
      'the first pass to end',
    );
    expect(after.pendingHours).toBe(1);
    expect(after.nextPassInMs).toBeGreaterThan(30_000);
    // A backlog: two hours, one per pass. The second pass follows the first at once.
    const backlog = make(1, () => {});
    backlog.markDirty(meterId, T0, Date.now());
    backlog.markDirty(meterId, T0 + H, Date.now());
    backlog.start();
    const done = await eventually(
      () => backlog.state(),
      (st) => st.passes === 2,
      10_000,
      'two passes, back to back',
    );
    expect(done.pendingHours).toBe(0);
    // A flush (a ledger request, a fee-days pass) is satisfied by the pass it starts: hours marked again during
    // that pass (after the flush was called) wait the interval too (review: the flush's own pass counted as a
    // backlog and the next pass ran at once).
    const flushed: ReturnType<typeof make> = make(1000, () => flushed.markDirty(meterId, T0, Date.now() + 1000));
    flushed.markDirty(meterId, T0, Date.now());
    expect(await flushed.flush(10_000)).toBe(true);
    const afterFlush = flushed.state();
    expect(afterFlush.passes).toBe(1);
    expect(afterFlush.pendingHours).toBe(1);
    expect(afterFlush.nextPassInMs).toBeGreaterThan(30_000);
    await Promise.all([steady.stop(), backlog.stop(), flushed.stop()]);
    expect(steady.state().pendingHours).toBe(0); // stop() flushes what waited
  });

  it('flush returns once the hours marked before it are rolled up, though the same hour keeps being marked again', async () => {
    const meterId = 'ekb-1-m06';
    await postMinutes(meterId, 60, 4_000_000);
    const worker = workerWith({ intervalMs: 5, settleMs: 0 });
    worker.start();
    // A meter reporting into the same hour faster than a pass takes: the hour is always marked again.
    const busy = setInterval(() => worker.markDirty(meterId, T0, Date.now()), 2);
    try {
      // The flush is asked while passes run and the hour keeps being marked again between them.
      await eventually(
        () => worker.state().passes,
        (n) => n >= 2,
        10_000,
        'two passes of the re-marked hour',
      );
      expect(await worker.flush(20_000)).toBe(true);
      expect((await rollupRows('reading_1h', meterId)).map((h) => h.count)).toEqual([60]);
    } finally {
      clearInterval(busy);
      await worker.stop();
    }
  });

  it('a meter moved to another site mid-hour keeps one rollup series: one row per bucket, the ledger equals the raw one', async () => {
    const meterId = 'ekb-1-m07';
    const lines = Array.from({ length: 120 }, (_, i) =>
      readingLine(
        {
          meterId,
          siteId: i < 30 ? 'ekb-1' : 'kpg-2',
          tsMs: T0 + i * MIN,
          registerWh: 5_000_000 + i * 1300,
          status: 'ok',
        },
        Date.now(),
      ),
    );
    await postLines(target, lines);
    const worker = workerWith({ intervalMs: 5, settleMs: 0 });
    worker.start();
    for (const h of [T0, T0 + H]) worker.markDirty(meterId, h, Date.now());
    expect(await worker.flush()).toBe(true);
    await worker.stop();
    const hours = await rollupRows('reading_1h', meterId);
    expect(hours.map((h) => h.count)).toEqual([60, 60]);
    expect((await rollupRows('reading_1d', meterId)).map((d) => d.count)).toEqual([120]);
    await expectStoreEqualsRaw([meterId], T0 + 10 * MIN, T0 + 110 * MIN, false); // both hours hold an edge: read raw
  });

  it('issue 27: a fresh hour is computed from the readings held in memory; once InfluxDB refused a held line (distrustTails), it is read from the store', async () => {
    // Both meters: 30 minute readings stored, and 5 more held as if stored that InfluxDB refused (poison lines).
    const run = async (meterId: string, distrust: boolean) => {
      await postMinutes(meterId, 30, 4_000_000);
      const worker = workerWith({
        intervalMs: 20,
        settleMs: 0,
        incremental: true,
        nothingStoredFromMs: new Map([[meterId, T0]]),
      });
      worker.start();
      for (let k = 0; k < 35; k++) {
        const r = { tsMs: T0 + k * MIN, registerWh: 4_000_000 + k * 1300, status: 'ok' as const };
        worker.holdTail(meterId, T0, r);
        worker.markDirty(meterId, T0, Date.now(), r.tsMs);
      }
      if (distrust) worker.distrustTails();
      expect(await worker.flush(30_000)).toBe(true);
      await worker.stop();
      return (await rollupRows('reading_1h', meterId))[0]?.count;
    };
    // Trusted: computed from memory, nothing read back; the 5 refused ones are in it (what distrust prevents).
    expect(await run('kpg-2-m03', false)).toBe(35);
    expect(await run('ast-3-m01', true)).toBe(30);
  }, 60_000);
});
