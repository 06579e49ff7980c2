/**
 * Issue 14: fee_1d is derived data and gives way to ingest. Reproduction: at start the updater computed the
 * whole running quarter for every meter at once, competing with the readings a restarted service has to take
 * in first (ingest bench: 15-25% of the rate). Now the running quarter waits `startDelayMs` (flush() does it at
 * once), and each day waits while ingest is busy, at most `yieldMs`.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TariffSet } from '../../src/fees/index.ts';
import { createFeeDays } from '../../src/ledger/fee-days-updater.ts';
import { localDays } from '../../src/ledger/fee-days.ts';
import { meterFacts } from '../../src/ledger/scope.ts';
import { computeStoreLedger } from '../../src/ledger/store-ledger.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { startInflux, type TestInflux } from '../helpers/influx.ts';
import { DEVICES_DIR } from '../helpers/service.ts';
import { shippedTariffs } from '../unit/fees/helpers.ts';

const registry = loadRegistry(DEVICES_DIR);
const NOW = Date.UTC(2025, 7, 10, 12);
let influx: TestInflux;
let target: InfluxTarget;
let tariffs: TariffSet;

beforeAll(async () => {
  [influx, tariffs] = await Promise.all([startInflux(), shippedTariffs()]);
  target = await influx.database();
}, 60_000);
afterAll(async () => influx?.stop());

function updater(opts: { busy?: () => boolean; startDelayMs?: number; yieldMs?: number; now?: () => number }) {
  const written: string[] = [];
  const f = createFeeDays({
    registry,
    tariffs,
    target,
    sink: {
      async write(lines) {
        written.push(...lines);
      },
    },
    log: pino({ level: 'silent' }),
    now: () => NOW,
    intervalMs: 3_600_000,
    ...opts,
  });
  return { f, written };
}

describe('fee days give way to ingest', () => {
  it('computes the running quarter only after startDelayMs, or at once on flush', async () => {
    const { f, written } = updater({ startDelayMs: 60_000 });
    await f.start();
    await new Promise((r) => setTimeout(r, 500));
    expect(written).toHaveLength(0);
    await f.flush();
    // Every meter in service has its days of 2025-Q3 so far (1 July .. 10 August, local days).
    const meters = new Set(written.map((l) => /meter=([^,]+)/.exec(l)?.[1]));
    const inService = registry.meters.filter((m) => m.commissionedMs < NOW && (m.decommissionedMs ?? Infinity) > NOW);
    for (const m of inService) expect(meters.has(m.id)).toBe(true);
    const days = new Set(written.map((l) => Number(l.split(' ')[2])));
    expect(days.size).toBeGreaterThanOrEqual(41);
    await f.stop();
  }, 60_000);

  it('waits up to yieldMs per day while ingest is busy, and not at all on flush', async () => {
    let asked = 0;
    const busy = () => {
      asked++;
      return true;
    };
    const { f, written } = updater({ busy, yieldMs: 300 });
    const meter = registry.meters.find((m) => m.commissionedMs < NOW - 10 * 86_400_000)!.id;
    const started = Date.now();
    const r = await f.recompute([meter], NOW - 3 * 86_400_000, NOW);
    expect(r.days).toBeGreaterThanOrEqual(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(r.days * 300 - 50);
    expect(asked).toBeGreaterThanOrEqual(r.days);
    expect(written.length).toBeGreaterThan(0);
    asked = 0;
    await f.flush();
    expect(asked).toBe(0);
    await f.stop();
  }, 60_000);

  it('writes the running day up to the last whole UTC hour, where the hour rollups answer (no raw read of the live hour)', async () => {
    const now = NOW + 34 * 60_000 + 56_000; // 12:34:56 UTC
    const { f, written } = updater({ now: () => now });
    const m = registry.meters.find((x) => x.commissionedMs < NOW - 10 * 86_400_000)!;
    await f.recompute([m.id], now - 3_600_000, now);
    const today = localDays(now - 1, now, m.timeZone)[0]!;
    const line = written.find((l) => l.includes(`meter=${m.id},`) && l.endsWith(` ${today.startMs}000000`))!;
    const energyWh = Number(/energy_wh=(\d+)i/.exec(line)?.[1]);
    const ledgerWh = async (toMs: number) => {
      const r = await computeStoreLedger({
        target,
        tariffs,
        meters: [{ facts: meterFacts(m), fromMs: today.startMs, toMs }],
      });
      return r.meters[0]!.ledger.lines.reduce((a, l) => a + l.energyWh, 0);
    };
    expect(energyWh).toBe(await ledgerWh(NOW)); // 12:00
    expect(energyWh).not.toBe(await ledgerWh(now));
    await f.stop();
  }, 60_000);
});
