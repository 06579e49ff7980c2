/**
 * Issue 14: fee_1d is derived data and gives way to ingest. Reproduction: at start the updater computed the
 * whole running quarter for every meter at once, competing with the readings a restarted service has to take
 * in first (ingest bench: 15-25% of the rate). Now the running quarter waits `startDelayMs` (flush() does it at
 * once), and each day waits while ingest is busy, at most `yieldMs`.
 */
import pino from 'pino';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { TariffSet } from '../../src/fees/index.ts';
import { createFeeDays } from '../../src/ledger/fee-days-updater.ts';
import { localDays } from '../../src/ledger/fee-days.ts';
import { meterFacts } from '../../src/ledger/scope.ts';
import { computeStoreLedger } from '../../src/ledger/store-ledger.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { useInflux } from '../helpers/influx.ts';
import { DEVICES_DIR } from '../helpers/service.ts';
import { shippedTariffs } from '../unit/fees/helpers.ts';

const registry = loadRegistry(DEVICES_DIR);
const NOW = Date.UTC(2025, 7, 10, 12);
const influx = useInflux();
let target: InfluxTarget;
let tariffs: TariffSet;

beforeAll(async () => {
  tariffs = await shippedTariffs();
  target = influx.target();
}, 60_000);

function updater(opts: {
  busy?: () => boolean;
  startDelayMs?: number;
  yieldMs?: number;
  now?: () => number;
  beforeRead?: () => Promise<boolean>;
  /** Told of every write of the sink (one per day computed). */
  onWrite?: () => void;
}) {
  const { onWrite, ...deps } = opts;
  const written: string[] = [];
  const f = createFeeDays({
    registry,
    tariffs,
    target,
    sink: {
      async write(lines) {
        written.push(...lines);
        onWrite?.();
      },
    },
    log: pino({ level: 'silent' }),
    now: () => NOW,
    intervalMs: 3_600_000,
    ...deps,
  });
  return { f, written };
}

describe('fee days give way to ingest', () => {
  it('computes the running quarter only after startDelayMs, or at once on flush', async () => {
    // Not a wait and a look: the delay runs on a fake clock (setTimeout only). Every computation begins by asking
    // whether the rollups are current (beforeRead); the asks are counted. Answering "not current" ends a begun
    // pass there, so nothing reads InfluxDB under the fake clock.
    let asked = 0;
    const beforeRead = async () => {
      asked++;
      return false;
    };
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const delayed = updater({ startDelayMs: 60_000, beforeRead });
      await delayed.f.start();
      await vi.advanceTimersByTimeAsync(59_999);
      expect(asked).toBe(0); // 1 ms before startDelayMs nothing has begun
      expect(delayed.written).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      await vi.advanceTimersToNextTimerAsync(); // the pass loop's next turn (kicked with delay 0)
      expect(asked).toBeGreaterThan(0); // at startDelayMs the running quarter has begun
      await delayed.f.stop(0);
    } finally {
      vi.useRealTimers();
    }
    const { f, written } = updater({ startDelayMs: 60_000 });
    await f.start();
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
    // Ingest is busy for the first 3 asks before each day, then idle. In order, not timed: each day is written
    // only after the ask that found ingest idle (yieldMs is far above what this takes).
    const events: string[] = [];
    let asksThisDay = 0;
    const busy = () => {
      if (events.length === 0 || events.at(-1) === 'write') asksThisDay = 0;
      const isBusy = ++asksThisDay <= 3;
      events.push(isBusy ? 'busy' : 'idle');
      return isBusy;
    };
    const { f, written } = updater({ busy, yieldMs: 60_000, onWrite: () => events.push('write') });
    const meter = registry.meters.find((m) => m.commissionedMs < NOW - 10 * 86_400_000)!.id;
    const r = await f.recompute([meter], NOW - 3 * 86_400_000, NOW);
    expect(r.days).toBeGreaterThanOrEqual(3);
    const oneDay = ['busy', 'busy', 'busy', 'idle', 'write'];
    expect(events).toEqual(Array.from({ length: r.days }, () => oneDay).flat());
    expect(events.filter((e) => e !== 'write').length).toBeGreaterThanOrEqual(r.days);
    expect(written.length).toBeGreaterThan(0);
    events.length = 0;
    await f.flush();
    expect(events.filter((e) => e !== 'write')).toEqual([]); // flush never asks
    await f.stop();
  }, 60_000);

  it('under sustained load (ingest always busy) each day still goes on after yieldMs', async () => {
    let asked = 0;
    const busy = () => {
      asked++;
      return true;
    };
    const { f, written } = updater({ busy, yieldMs: 300 });
    const meter = registry.meters.find((m) => m.commissionedMs < NOW - 10 * 86_400_000)!.id;
    const r = await f.recompute([meter], NOW - 3 * 86_400_000, NOW);
    expect(r.days).toBeGreaterThanOrEqual(3);
    expect(asked).toBeGreaterThanOrEqual(r.days);
    expect(written.length).toBeGreaterThan(0);
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
