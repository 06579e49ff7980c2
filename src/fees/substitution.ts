/**
 * Classification of the spans between consecutive readings (the VEE
 * "validation" step) and what each verdict means under a policy.
 * Verdicts are small integers so the hot loop allocates nothing.
 */
import type { Basis, LineReason, MeterFacts, SubstitutionPolicy, SubstitutionPolicyName } from './types.ts';

export const V = {
  METERED: 0,
  GAP: 1,
  LAST_WILL: 2,
  /** Fault status, but the register moved plausibly (>= 0, no spike). */
  FAULT_DELTA: 3,
  FAULT: 4,
  RESET: 5,
  SPIKE: 6,
  BEFORE_FIRST: 7,
  AFTER_LAST: 8,
  NO_READING_YET: 9,
  NO_READINGS: 10,
} as const;
export type Verdict = (typeof V)[keyof typeof V];

const REASONS: readonly LineReason[] = [
  'gap', // unused for METERED
  'gap',
  'last-will',
  'fault-status',
  'fault-status',
  'register-reset',
  'spike',
  'before-first-reading',
  'after-last-reading',
  'no-reading-yet',
  'no-readings',
];

/** Whether the register delta of a span with this verdict is trusted (>= 0, not a spike). */
export function verdictHasDelta(v: Verdict): boolean {
  return v === V.METERED || v === V.GAP || v === V.LAST_WILL || v === V.FAULT_DELTA;
}

/** 'counterfactual' = every span with a trusted register delta metered at it (cost of outages). */
export type LedgerMode = SubstitutionPolicyName | 'counterfactual';

export interface VerdictMeaning {
  readonly basis: Basis;
  readonly reason: LineReason | undefined;
  readonly hasDelta: boolean;
}

export function verdictMeaning(v: Verdict, mode: LedgerMode): VerdictMeaning {
  const hasDelta = verdictHasDelta(v);
  if (v === V.METERED) return { basis: 'metered', reason: undefined, hasDelta };
  // Register-reconciled: a communications-only gap closed by two good readings whose
  // register moved plausibly is charged at the register. Never faults, resets or spikes.
  const commsOnly = v === V.GAP || v === V.LAST_WILL;
  if ((mode === 'register-reconciled' && commsOnly) || (mode === 'counterfactual' && hasDelta)) {
    const reason: LineReason =
      v === V.LAST_WILL ? 'last-will-reconciled' : v === V.GAP ? 'gap-reconciled' : 'fault-status';
    return { basis: 'metered', reason, hasDelta };
  }
  return { basis: 'substituted', reason: REASONS[v], hasDelta };
}

/**
 * A classifier for consecutive pairs, called in increasing time order (it
 * keeps cursors into max-load entries and offline events).
 * Priority: fault-status > register-reset > spike > last-will > gap.
 */
export function createPairClassifier(
  facts: MeterFacts,
  offlineMs: readonly number[],
  policy: SubstitutionPolicy,
): (t1: number, r1: number, f1: number, t2: number, r2: number, f2: number) => Verdict {
  const graceMs = policy.graceIntervals * facts.reportingIntervalS * 1000;
  const tolerance = policy.spikeTolerance;
  const loads = facts.maxLoad;
  let loadIdx = 0;
  let eventIdx = 0;

  /** Integral of max load over [t1, t2) in W*ms (float; only compared with a tolerance). */
  function maxLoadWms(t1: number, t2: number): number {
    while (loadIdx + 1 < loads.length && loads[loadIdx + 1]!.fromMs <= t1) loadIdx++;
    let total = 0;
    let a = t1;
    let j = loadIdx;
    while (a < t2) {
      const next = j + 1 < loads.length ? Math.min(loads[j + 1]!.fromMs, t2) : t2;
      total += loads[j]!.maxLoadW * (next - a);
      a = next;
      j++;
    }
    return total;
  }

  return (t1, r1, f1, t2, r2, f2) => {
    if (f1 === 1 || f2 === 1) {
      const d = r2 - r1;
      return d >= 0 && d * 3_600_000 <= tolerance * maxLoadWms(t1, t2) ? V.FAULT_DELTA : V.FAULT;
    }
    if (r2 < r1) return V.RESET;
    if ((r2 - r1) * 3_600_000 > tolerance * maxLoadWms(t1, t2)) return V.SPIKE;
    while (eventIdx < offlineMs.length && offlineMs[eventIdx]! < t1) eventIdx++;
    // A last will inside [t1, t2) means the link dropped between these readings.
    if (eventIdx < offlineMs.length && offlineMs[eventIdx]! < t2) return V.LAST_WILL;
    if (t2 - t1 > graceMs) return V.GAP;
    return V.METERED;
  };
}
