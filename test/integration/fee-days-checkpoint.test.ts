/**
 * Issue 25, start-up work: fee_1d recomputed the whole running quarter for every meter at each start (the
 * demo's 14 meters x 67 days: 13 s at every start; 1,000 meters x 90 days: 90,000 meter-days). A checkpoint
 * of the fee days known complete now bounds it: a restart recomputes the days from two days before the
 * checkpoint to now for every meter, and, for a reading that arrived after the checkpoint into an old day,
 * that meter from its previous reading; with other inputs it does the whole quarter. Real influxd.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, type TariffSet } from '../../src/fees/index.ts';
import { readFeeDaysCheckpoint } from '../../src/ledger/fee-days-checkpoint.ts';
import { createFeeDays } from '../../src/ledger/fee-days-updater.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import { rebuildRollups } from '../../src/rollup/rebuild.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { dirtyMarkLine, MARK_SLOT_MS, readingLine } from '../../src/store/schema.ts';
import { startInflux, type TestInflux } from '../helpers/influx.ts';
import { DEVICES_DIR } from '../helpers/service.ts';
import { shippedTariffs } from '../unit/fees/helpers.ts';
import { postLines } from '../unit/ledger/store-fixtures.ts';

const registry = loadRegistry(DEVICES_DIR);
const NOW = Date.UTC(2025, 7, 10, 12); // 2025-08-10 12:00 UTC: 41 days into 2025-Q3
const METERS = ['ekb-1-m01', 'ekb-1-m02'];
const FROM = Date.UTC(2025, 6, 25);
let influx: TestInflux;
let target: InfluxTarget;
let tariffs: TariffSet;
let dir: string;

const sink = { write: (l: readonly string[]) => postLines(target, l) };
const readings = (meterId: string, from: number, to: number, stepMs = 300_000) => {
  const site = registry.meterById.get(meterId)!.siteId;
  const out: string[] = [];
  for (let t = from; t < to; t += stepMs)
    out.push(
      readingLine(
        { meterId, siteId: site, tsMs: t, registerWh: 1_000_000 + Math.floor((t - FROM) / 60_000), status: 'ok' },
        t,
      ),
    );
  return out;
};

beforeAll(async () => {
  [influx, tariffs] = await Promise.all([startInflux(), shippedTariffs()]);
  target = await influx.database();
  dir = mkdtempSync(join(tmpdir(), 'kzm-fee-cp-'));
  await postLines(
    target,
    METERS.flatMap((m) => readings(m, FROM, NOW + DAY_MS)),
  );
  await rebuildRollups({ target, sink, meterIds: METERS, fromMs: FROM, toMs: NOW + DAY_MS });
}, 120_000);
afterAll(async () => {
  await influx?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** An updater as the service builds it, at a given now, with its written lines. */
function updater(
  nowMs: number,
  file: string,
  policy?: { name: 'register-reconciled'; graceIntervals: number; spikeTolerance: number },
) {
  const written: string[] = [];
  const log: { msg: string; fields: Record<string, unknown> }[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void log.push(JSON.parse(s) as never) });
  const f = createFeeDays({
    registry,
    tariffs,
    target,
    sink: { write: async (l) => void written.push(...l) },
    log: logger,
    now: () => nowMs,
    intervalMs: 3_600_000,
    checkpointFile: file,
    ...(policy && { policy }),
  });
  return { f, written, log: log as unknown as { msg: string; since?: string; why?: string }[] };
}
const meterDays = (lines: string[]) => new Set(lines.map((l) => `${/meter=([^,]+)/.exec(l)![1]}@${l.split(' ')[2]}`));
const dayOf = (l: string) => Number(l.split(' ')[2]) / 1e6;

describe('fee days from their checkpoint (issue 25)', () => {
  const file = () => join(dir, 'fee-days-checkpoint.json');

  it('the first start does the running quarter and writes the checkpoint', async () => {
    const a = updater(NOW, file());
    await a.f.start();
    await a.f.flush();
    expect(meterDays(a.written).size).toBeGreaterThanOrEqual(registry.meters.length * 30);
    expect(a.log.some((l) => l.msg === 'Fee days of the running quarter computed.' && l.why === 'no checkpoint')).toBe(
      true,
    );
    expect(readFeeDaysCheckpoint(file())?.completeBeforeMs).toBe(NOW);
    await a.f.stop();
  }, 120_000);

  it('a restart a day later recomputes the days since the checkpoint, the same as the whole quarter would give', async () => {
    // Meanwhile (after the checkpoint) a reading arrived for ekb-1-m01 twenty days back, with its durable mark.
    const lateTs = NOW - 20 * DAY_MS + 150_000;
    const arrived = NOW + 2 * HOUR_MS;
    const late = readings('ekb-1-m01', lateTs, lateTs + 1)[0]!.replace(/rx_ms=\d+i/, `rx_ms=${arrived}i`);
    await postLines(target, [
      late,
      dirtyMarkLine('ekb-1-m01', Math.floor(lateTs / HOUR_MS) * HOUR_MS, arrived, MARK_SLOT_MS),
    ]);
    await rebuildRollups({ target, sink, meterIds: ['ekb-1-m01'], fromMs: lateTs - DAY_MS, toMs: lateTs + DAY_MS });

    const later = NOW + DAY_MS;
    const b = updater(later, file());
    await b.f.start();
    await b.f.flush();
    const days = meterDays(b.written);
    // Every meter: the days of [checkpoint - 2 days, now] (4 local days), not 42; ekb-1-m01 also from its late reading.
    const others = [...days].filter((d) => !d.startsWith('ekb-1-m01@'));
    expect(others.length).toBeLessThanOrEqual((registry.meters.length - 1) * 4);
    expect(
      b.written.some((l) => l.includes('meter=ekb-1-m01,') && dayOf(l) < lateTs && dayOf(l) > lateTs - DAY_MS),
    ).toBe(true);
    expect(b.log.some((l) => l.msg.startsWith('Fee days resumed from their checkpoint'))).toBe(true);
    expect(readFeeDaysCheckpoint(file())?.completeBeforeMs).toBe(later);
    await b.f.stop();

    // The same lines as the whole quarter computed at that instant, for every day written.
    const c = updater(later, join(dir, 'none.json'));
    await c.f.start();
    await c.f.flush();
    await c.f.stop();
    const key = (l: string) => `${l.split(' ')[0]} ${l.split(' ')[2]}`;
    const whole = new Map(c.written.map((l) => [key(l), l]));
    for (const l of b.written) expect(l).toBe(whole.get(key(l)));
  }, 180_000);

  it('with other fee settings than the checkpoint was computed with, the whole quarter again', async () => {
    const d = updater(NOW + DAY_MS, file(), { name: 'register-reconciled', graceIntervals: 3, spikeTolerance: 1.1 });
    await d.f.start();
    await d.f.flush();
    await d.f.stop();
    expect(d.log.map((l) => l.why)).toContain('registry, tariffs or fee settings changed');
    expect(meterDays(d.written).size).toBeGreaterThanOrEqual(registry.meters.length * 30);
  }, 120_000);
});
