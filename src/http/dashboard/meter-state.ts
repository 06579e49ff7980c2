/**
 * What the meters grid shows of one meter, derived from the live view (last seen, last will, last
 * reading) and from the quarter's ledger lines (substituted hours, substituting since). Pure.
 */
import { type LedgerLine, formatWhAsKwh } from '../../fees/index.ts';
import type { MeterLive } from '../../live/live-state.ts';
import type { Meter } from '../../registry/types.ts';
import { liveStatus } from '../routes/meters.ts';
import { tengeOf } from './tenge.ts';

export type MeterState = ReturnType<typeof liveStatus>;

export interface MeterLiveRow {
  readonly id: string;
  readonly state: MeterState;
  /** offline: the last will's arrival, or the last message when it went silent. */
  readonly since: string | null;
  readonly lastReadingAt: string | null;
  readonly lastReceivedAt: string | null;
  readonly lastKw: number | null;
  readonly lastRegisterKwh: string | null;
  readonly maxLoadKw: number;
  /** lastKw against max load, in percent with one decimal. */
  readonly loadPct: number | null;
}

export interface MeterLedgerRow {
  /** Substituted time in the quarter so far, in ms (integer). */
  readonly substitutedMs: number;
  readonly substitutedWh: number;
  readonly substitutedKwh: string;
  /** Fee charged on the substituted energy (exact) and its tenge display. */
  readonly substitutedFeeMilliTiyn: number;
  readonly substitutedTenge: string;
  /** Start of the substituted run the ledger ends with, when it ends with one (a tail still within the grace does not count). */
  readonly substitutingSince: string | null;
  readonly substitutingReason: string | null;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** The entry of a dated history in force at `nowMs` (the first one before it starts). */
export function inForce<T extends { fromMs: number }>(history: readonly T[], nowMs: number): T | undefined {
  return history.filter((x) => x.fromMs <= nowMs).at(-1) ?? history[0];
}

export function liveRow(meter: Meter, live: MeterLive | undefined, nowMs: number): MeterLiveRow {
  const state = liveStatus(live, meter.reportingIntervalS, nowMs);
  const maxLoadKw = (inForce(meter.maxLoad, nowMs)?.maxLoadW ?? 0) / 1000;
  const since =
    state === 'offline' ? (live?.status === 'offline' ? live.statusSinceMs : live?.lastReceivedMs) : undefined;
  const lastKw = live?.lastKw ?? null;
  return {
    id: meter.id,
    state,
    since: iso(since),
    lastReadingAt: iso(live?.lastReadingTsMs),
    lastReceivedAt: iso(live?.lastReceivedMs),
    lastKw,
    lastRegisterKwh: live?.lastRegisterWh === undefined ? null : formatWhAsKwh(live.lastRegisterWh),
    maxLoadKw,
    loadPct: lastKw === null || maxLoadKw <= 0 ? null : Math.round((lastKw / maxLoadKw) * 1000) / 10,
  };
}

type SpanLine = Pick<LedgerLine, 'fromMs' | 'toMs' | 'basis' | 'reason' | 'energyWh' | 'feeMilliTiyn'>;

/** `lines`: one meter's ledger lines in time order. */
export function ledgerRow(lines: readonly SpanLine[]): MeterLedgerRow {
  let substitutedMs = 0;
  let substitutedWh = 0;
  let fee = 0;
  for (const l of lines) {
    if (l.basis !== 'substituted') continue;
    substitutedMs += l.toMs - l.fromMs;
    substitutedWh += l.energyWh;
    fee += l.feeMilliTiyn;
  }
  let end = lines.length;
  // The tail after the last reading, still within the grace, is how every running ledger ends.
  if (lines[end - 1]?.reason === 'no-reading-yet') end--;
  let start = end;
  while (
    start > 0 &&
    lines[start - 1]!.basis === 'substituted' &&
    (start === end || lines[start - 1]!.toMs === lines[start]!.fromMs)
  )
    start--;
  const running = start < end;
  return {
    substitutedMs,
    substitutedWh,
    substitutedKwh: formatWhAsKwh(substitutedWh),
    substitutedFeeMilliTiyn: fee,
    substitutedTenge: tengeOf(fee),
    substitutingSince: running ? iso(lines[start]!.fromMs) : null,
    substitutingReason: running ? (lines[end - 1]!.reason ?? null) : null,
  };
}
