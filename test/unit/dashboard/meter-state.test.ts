import { describe, expect, it } from 'vitest';
import type { LedgerLine } from '../../../src/fees/index.ts';
import type { MeterLive } from '../../../src/live/live-state.ts';
import { loadRegistry } from '../../../src/registry/load.ts';
import { ledgerRow, liveRow } from '../../../src/http/dashboard/meter-state.ts';
import { DEVICES_DIR } from '../../helpers/service.ts';

const registry = loadRegistry(DEVICES_DIR);
const meter = registry.meterById.get('ekb-1-m01')!;
const NOW = Date.parse('2025-08-01T12:00:00Z');
const S = 1000;
const iso = (ms: number) => new Date(ms).toISOString();
const interval = meter.reportingIntervalS * S;

describe('liveRow: the state of a meter in the grid', () => {
  it.each<{ name: string; live: MeterLive | undefined; state: string; since: number | null }>([
    { name: 'nothing ever heard', live: undefined, state: 'never-seen', since: null },
    {
      name: 'reading within 3 intervals',
      live: { lastReceivedMs: NOW - 2 * interval, lastReadingTsMs: NOW - 2 * interval, lastReadingStatus: 'ok' },
      state: 'online',
      since: null,
    },
    {
      name: 'silent for more than 3 intervals: offline since the last message',
      live: { lastReceivedMs: NOW - 4 * interval, lastReadingTsMs: NOW - 4 * interval },
      state: 'offline',
      since: NOW - 4 * interval,
    },
    {
      name: 'last will: offline since the will arrived',
      live: { lastReceivedMs: NOW - S, status: 'offline', statusSinceMs: NOW - 30 * S },
      state: 'offline',
      since: NOW - 30 * S,
    },
    {
      name: 'last reading flagged fault',
      live: { lastReceivedMs: NOW - S, lastReadingStatus: 'fault' },
      state: 'fault',
      since: null,
    },
  ])('$name', ({ live, state, since }) => {
    const row = liveRow(meter, live, NOW);
    expect(row.state).toBe(state);
    expect(row.since).toBe(since === null ? null : iso(since));
  });

  it('kW against the max load in force, and the register as kWh', () => {
    const row = liveRow(meter, { lastReceivedMs: NOW, lastKw: 36.84, lastRegisterWh: 1_234_567 }, NOW);
    const maxLoadW = meter.maxLoad.filter((m) => m.fromMs <= NOW).at(-1)!.maxLoadW;
    expect(row.maxLoadKw).toBe(maxLoadW / 1000);
    expect(row.loadPct).toBe(Math.round((36.84 / (maxLoadW / 1000)) * 1000) / 10);
    expect(row.lastRegisterKwh).toBe('1234.567');
  });
});

const H = 3_600_000;
type L = Pick<LedgerLine, 'fromMs' | 'toMs' | 'basis' | 'reason' | 'energyWh' | 'feeMilliTiyn'>;
const m = (a: number, b: number): L => ({
  fromMs: a * H,
  toMs: b * H,
  basis: 'metered',
  energyWh: (b - a) * 1000,
  feeMilliTiyn: Math.round((b - a) * 200_000),
});
const s = (a: number, b: number, reason: LedgerLine['reason']): L => ({
  fromMs: a * H,
  toMs: b * H,
  basis: 'substituted',
  reason,
  energyWh: Math.round((b - a) * 5000),
  feeMilliTiyn: Math.round((b - a) * 1_000_000),
});

describe('ledgerRow: substituted hours and since when', () => {
  it.each<{ name: string; lines: L[]; since: number | null; reason: string | null }>([
    { name: 'metered to the end', lines: [m(0, 10)], since: null, reason: null },
    {
      name: 'the grace tail after the last reading does not count',
      lines: [m(0, 10), s(10, 10.01, 'no-reading-yet')],
      since: null,
      reason: null,
    },
    {
      name: 'silent since hour 8',
      lines: [m(0, 8), s(8, 10, 'after-last-reading')],
      since: 8,
      reason: 'after-last-reading',
    },
    {
      name: 'a run of substituted lines (split at a rate change) counts from its start',
      lines: [m(0, 4), s(4, 6, 'gap'), s(6, 9, 'gap'), s(9, 9.01, 'no-reading-yet')],
      since: 4,
      reason: 'gap',
    },
    { name: 'an old outage is history, not now', lines: [s(0, 2, 'gap'), m(2, 10)], since: null, reason: null },
    { name: 'no readings at all', lines: [s(0, 10, 'no-readings')], since: 0, reason: 'no-readings' },
  ])('$name', ({ lines, since, reason }) => {
    const row = ledgerRow(lines);
    expect(row.substitutingSince).toBe(since === null ? null : iso(since * H));
    expect(row.substitutingReason).toBe(reason);
    const subs = lines.filter((l) => l.basis === 'substituted');
    expect(row.substitutedMs).toBe(subs.reduce((a, l) => a + l.toMs - l.fromMs, 0));
    expect(row.substitutedWh).toBe(subs.reduce((a, l) => a + l.energyWh, 0));
    // 5 kWh an hour at 2 tenge: 1,000,000 milli-tiyn = 10 tenge an hour of substitution.
    const hours = subs.reduce((a, l) => a + (l.toMs - l.fromMs) / H, 0);
    expect(row.substitutedFeeMilliTiyn).toBe(Math.round(hours * 1_000_000));
    expect(row.substitutedKwh).toBe((hours * 5).toFixed(3));
  });
});
