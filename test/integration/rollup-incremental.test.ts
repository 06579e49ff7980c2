/**
 * Issue 14, rollups at steady load. Reproduction: every pass read its dirty hours back whole, so a live hour was
 * read once per pass (bench latency, 1,000 meters: influxd 45-86 us of CPU per reading stored, the service
 * 34-74 us). With one ingester, a pass now reads only what was stored after an hour's known part. These tests
 * hold the result to a whole recompute from the raw readings: in order, out of order, duplicates, faults, and
 * passes racing the writes (real influxd, embedded broker, mqtt.js meters).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Reading, daysFromHours, summarizeHours } from '../../src/fees/index.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import { readingLine } from '../../src/store/schema.ts';
import { createWriteApi } from '../../src/store/write-api.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { useInflux } from '../helpers/influx.ts';
import { connectMeter, publishAll } from '../helpers/mqtt.ts';
import { DEVICES_DIR, queryRows, startService } from '../helpers/service.ts';

const H = 3_600_000;
const DAY = 24 * H;
const registry = loadRegistry(DEVICES_DIR);
/** 23:40 UTC two days ago: the stream crosses an hour and a UTC midnight. */
const T0 = Math.floor((Date.now() - 2 * DAY) / DAY) * DAY - 20 * 60_000;
const METERS = registry.meters.filter((m) => m.commissionedMs < T0 - DAY && !m.decommissionedMs).slice(0, 3);
const influx = useInflux();

beforeAll(async () => {
  expect(METERS).toHaveLength(3);
}, 60_000);

const FIELDS = ['count', 'first_ts', 'first_wh', 'last_ts', 'last_wh', 'faults', 'max_gap', 'min_step', 'max_pw'];
const asRow = (b: ReturnType<typeof daysFromHours>[number]) => ({
  time: b.startMs,
  count: b.count,
  first_ts: b.firstTsMs,
  first_wh: b.firstRegisterWh,
  last_ts: b.lastTsMs,
  last_wh: b.lastRegisterWh,
  faults: b.faultCount,
  max_gap: b.maxGapMs,
  min_step: b.minStepWh,
  max_pw: b.maxStepPowerW,
});

/** The rollups in the store equal those computed whole from every raw reading in the store. */
async function expectRollupsEqualRaw(target: InfluxTarget, meterId: string): Promise<number> {
  const raw = await queryRows(target, `SELECT "wh", "fault" FROM "reading" WHERE "meter" = '${meterId}'`);
  const readings: Reading[] = raw.map((r) => ({
    tsMs: r.time as number,
    registerWh: r.wh as number,
    status: r.fault === 1 ? 'fault' : 'ok',
  }));
  const hours = summarizeHours(readings);
  if (!hours.ok) throw new Error(hours.reason);
  const read = async (m: string) =>
    queryRows(target, `SELECT ${FIELDS.map((f) => `"${f}"`).join(', ')} FROM "${m}" WHERE "meter" = '${meterId}'`);
  expect(await read('reading_1h')).toEqual(hours.value.map(asRow));
  expect(await read('reading_1d')).toEqual(daysFromHours(hours.value).map(asRow));
  return readings.length;
}

type Svc = Awaited<ReturnType<typeof startService>>;

const counter = async (svc: Svc, name: string) =>
  (await svc.metrics.registry.getSingleMetricAsString(name))
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((a, l) => a + Number(l.split(' ').at(-1)), 0);

/**
 * `rounds` rounds of `perRound` readings for each of METERS, one every 10 s from T0, each round flushed through
 * the rollups; `fault(k)` marks the k-th reading faulty. Checks the rollups equal a whole recompute; returns the
 * readings sent.
 */
async function streamRounds(
  svc: Svc,
  target: InfluxTarget,
  o: { rounds: number; perRound: number; baseWh: number; fault?: (k: number) => boolean },
): Promise<number> {
  const clients = await Promise.all(METERS.map((m) => connectMeter(svc.brokerUrl, m.id, { will: false })));
  for (let round = 0; round < o.rounds; round++) {
    await Promise.all(
      clients.map((c, i) =>
        publishAll(
          c,
          Array.from({ length: o.perRound }, (_, j) => {
            const k = round * o.perRound + j;
            return {
              topic: `meters/${METERS[i]!.id}/reading`,
              payload: JSON.stringify({
                ts: T0 + k * 10_000,
                kwh: (o.baseWh + k * 250 + i) / 1000,
                ...(o.fault?.(k) && { status: 'fault' }),
              }),
            };
          }),
        ),
      ),
    );
    expect(await svc.rollups.flush()).toBe(true);
  }
  await Promise.all(clients.map((c) => c.endAsync()));
  for (const m of METERS) expect(await expectRollupsEqualRaw(target, m.id)).toBe(o.rounds * o.perRound);
  return o.rounds * o.perRound * METERS.length;
}

describe('incremental rollups (one ingester)', () => {
  it('a steady stream is read back about once, not once per pass, and the rollups equal a whole recompute', async () => {
    const target = await influx.database();
    const svc = await startService(target, { rollup: { intervalMs: 50 } });
    try {
      // 12 rounds of 50 readings, one every 10 s: 100 minutes
      const total = await streamRounds(svc, target, {
        rounds: 12,
        perRound: 50,
        baseWh: 5_000_000,
        fault: (k) => k % 97 === 5,
      });
      const readBack = await counter(svc, 'kzm_rollup_raw_readings_read_total');
      // Whole hours once per pass would be about 4x the readings here (a pass per round over the hour so far).
      expect(readBack).toBeLessThanOrEqual(total * 1.3);
      expect(await counter(svc, 'kzm_rollup_hourly_incremental_total')).toBeGreaterThan(0);
    } finally {
      await svc.cleanup();
    }
  }, 120_000);

  it("issue 27: extended hours merge this process's own readings from memory: of 1,800 readings (3 meters x 12 rounds of 50) at most a quarter is read back, where an hour is first read whole", async () => {
    const target = await influx.database();
    const svc = await startService(target, { rollup: { intervalMs: 50 } });
    try {
      const total = await streamRounds(svc, target, { rounds: 12, perRound: 50, baseWh: 7_000_000 });
      // Before: each reading was read back about once (the tails came from InfluxDB): ~1,800 here.
      expect(await counter(svc, 'kzm_rollup_raw_readings_read_total')).toBeLessThanOrEqual(total / 4);
      expect(await counter(svc, 'kzm_rollup_hourly_incremental_total')).toBeGreaterThan(10);
    } finally {
      await svc.cleanup();
    }
  }, 120_000);

  it('late, duplicate and faulty readings racing passes every 10 ms: the rollups still equal a whole recompute', async () => {
    const target = await influx.database();
    const svc = await startService(target, { rollup: { intervalMs: 10 } });
    try {
      let seed = 42;
      const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const meter = METERS[0]!.id;
      const clients = await Promise.all([0, 1, 2].map(() => connectMeter(svc.brokerUrl, meter, { will: false })));
      const message = (i: number, bump = 0, fault = false) => ({
        topic: `meters/${meter}/reading`,
        payload: JSON.stringify({
          ts: T0 + i * 10_000,
          kwh: (9_000_000 + i * 300 + bump) / 1000,
          ...(fault && { status: 'fault' }),
        }),
      });
      let late = 0;
      for (let chunk = 0; chunk < 30; chunk++) {
        const inOrder: ReturnType<typeof message>[] = [];
        const lateOnes: ReturnType<typeof message>[] = [];
        for (let j = 0; j < 30; j++) {
          const k = chunk * 30 + j;
          const r = rnd();
          inOrder.push(message(k, 0, r > 0.5 && r < 0.53));
          // Late: back into this hour or an earlier one, after its rollup was computed (and remembered);
          // now and then with a second value for a time already sent.
          if (chunk % 3 === 1 && r < 0.3 && k > 30) {
            late++;
            lateOnes.push(message(k - 1 - Math.floor(rnd() * Math.min(k - 1, 400)), r < 0.08 ? 7 : 0));
          }
        }
        // In order on one connection, the late ones on two others at the same time: writes and their
        // acknowledgements interleave with the passes.
        await Promise.all([
          publishAll(clients[0]!, inOrder),
          publishAll(
            clients[1]!,
            lateOnes.filter((_, i) => i % 2 === 0),
          ),
          publishAll(
            clients[2]!,
            lateOnes.filter((_, i) => i % 2 === 1),
          ),
        ]);
        if (chunk % 2 === 0) expect(await svc.rollups.flush()).toBe(true);
      }
      expect(await svc.rollups.flush()).toBe(true);
      expect(late).toBeGreaterThan(40);
      expect(await counter(svc, 'kzm_rollup_hourly_incremental_total')).toBeGreaterThan(0); // both kinds of pass ran
      await expectRollupsEqualRaw(target, meter);
      await Promise.all(clients.map((c) => c.endAsync()));
    } finally {
      await svc.cleanup();
    }
  }, 120_000);

  it('issue 27: an hour after the newest reading stored before the start is computed from memory (none read back); an hour holding older readings is still read whole', async () => {
    const target = await influx.database();
    const [before, fresh] = [METERS[1]!, METERS[2]!];
    // Stored before the service starts: 30 readings of `before`, 23:40:00-23:44:50 (another run's, or imported).
    const at = (k: number) => T0 + k * 10_000;
    const reading = (m: (typeof METERS)[number], k: number) => ({
      meterId: m.id,
      siteId: m.siteId,
      tsMs: at(k),
      registerWh: 3_000_000 + k * 250,
      status: 'ok' as const,
    });
    await createWriteApi(target).writeLines(
      Array.from({ length: 30 }, (_, k) => readingLine(reading(before, k), at(k))),
    );
    const svc = await startService(target, { rollup: { intervalMs: 50 } });
    try {
      const clients = await Promise.all([before, fresh].map((m) => connectMeter(svc.brokerUrl, m.id, { will: false })));
      // Then 23:45-00:13:20 for both: `before`'s 23:00 hour holds the 30 stored earlier; the rest is this process's.
      const publish = (m: (typeof METERS)[number], c: (typeof clients)[number], from: number, to: number) =>
        publishAll(
          c,
          Array.from({ length: to - from }, (_, j) => ({
            topic: `meters/${m.id}/reading`,
            payload: JSON.stringify({ ts: at(from + j), kwh: reading(m, from + j).registerWh / 1000 }),
          })),
        );
      await Promise.all([publish(before, clients[0]!, 30, 200), publish(fresh, clients[1]!, 30, 200)]);
      expect(await svc.rollups.flush()).toBe(true);
      // Read back: only `before`'s 23:00 hour (120 readings, the 30 older ones among them), whole once.
      const readBack = await counter(svc, 'kzm_rollup_raw_readings_read_total');
      expect(readBack).toBeGreaterThanOrEqual(30);
      expect(readBack).toBeLessThanOrEqual(120);
      expect(await expectRollupsEqualRaw(target, before.id)).toBe(200);
      expect(await expectRollupsEqualRaw(target, fresh.id)).toBe(170);
      // A late one into each 23:00 hour, behind its computed part: read whole, as before issue 27 (a reading
      // of `fresh` too: its hour is no longer fresh once a pass took it).
      await Promise.all([publish(before, clients[0]!, 29, 30), publish(fresh, clients[1]!, 29, 30)]);
      expect(await svc.rollups.flush()).toBe(true);
      await Promise.all(clients.map((c) => c.endAsync()));
      expect(await expectRollupsEqualRaw(target, before.id)).toBe(200);
      expect(await expectRollupsEqualRaw(target, fresh.id)).toBe(171);
      expect(await counter(svc, 'kzm_rollup_raw_readings_read_total')).toBeGreaterThan(readBack + 90);
    } finally {
      await svc.cleanup();
    }
  }, 120_000);
});
