/**
 * Keeps `fee_1d` (src/ledger/fee-days.ts) current, from the same engine and rollups as /api/ledger:
 *   - at start, the days since the checkpoint (src/ledger/fee-days-checkpoint.ts) for every meter, and the meters
 *     whose readings arrived after it; without a usable checkpoint, every day of the running quarter;
 *   - on every pass, yesterday and today for every meter (the running day grows with time, and a day that
 *     has just ended is finished off);
 *   - for each meter with newly stored readings, the days from its previous stored reading (or, with
 *     none, from the start of the quarter of the new reading) up to today: a reading changes how the
 *     spans on both sides of it are billed, up to the next reading or now;
 *   - the first time a reading of a quarter is stored, that whole quarter for every meter (a meter
 *     with no reading at all is billed at maximum load in the ledger: its days must be there too).
 * So every quarter that this process computed once (the running one at start, any quarter it stored
 * readings of) is complete in fee_1d; `kzmeter rollup --period` recomputes any other. After each pass the
 * checkpoint moves to the earliest arrival not yet reflected, once the running quarter is complete.
 * A pass first waits for the rollups (beforeRead), then computes day by day, a batch of days at a time, and
 * writes through the batch writer. A failed pass keeps its meters for the next one; the wing's pass loop
 * (src/derived/pass-loop.ts) schedules passes, backs off after failures and halves a pass that timed out.
 * fee_1d is derived data, so it gives way to ingest: the running quarter is computed `startDelayMs` after start
 * (fee_1d of earlier runs is still there meanwhile), and while ingest is `busy` each day waits up to
 * `yieldMs` before it is computed. flush() does all of it at once.
 */
import type { Logger } from 'pino';
import type { QuarterPrice, RoundingRule, SubstitutionPolicy, TariffSet } from '../fees/index.ts';
import { createPassLoop } from '../derived/pass-loop.ts';
import { DAY_MS, HOUR_MS, quarterAt } from '../fees/index.ts';
import type { StoredReadingsListener } from '../model/reading.ts';
import type { Registry } from '../registry/types.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { readDirtyMarks } from '../store/query/rollup-marks.ts';
import { MARK_SLOT_MS, feeDayLine } from '../store/schema.ts';
import { feeInputsDigest, readFeeDaysCheckpoint, writeFeeDaysCheckpoint } from './fee-days-checkpoint.ts';
import { rangeStarts } from './fee-days-ranges.ts';
import { feeDaysOf, localDays } from './fee-days.ts';
import { meterFacts } from './scope.ts';
import { computeStoreLedger, ensureRollupsCurrent, type MeterPeriod, type StoreLedgerOptions } from './store-ledger.ts';

export interface FeeDaysDeps {
  readonly registry: Registry;
  readonly tariffs: TariffSet;
  readonly target: InfluxTarget;
  readonly sink: { write(lines: readonly string[]): Promise<void> };
  readonly log: Logger;
  readonly policy?: SubstitutionPolicy;
  /** The operator's rounding rule instead of the schedules' (fees.roundingOverride). */
  readonly roundingOverride?: RoundingRule;
  readonly prices?: readonly QuarterPrice[];
  readonly beforeRead?: () => Promise<boolean>;
  readonly storeOptions?: StoreLedgerOptions;
  readonly now?: () => number;
  /** Time between passes (default 30 s). */
  readonly intervalMs?: number;
  /** Delay of the running quarter's computation after start (default 15 s). */
  readonly startDelayMs?: number;
  /** Ingest has work waiting (e.g. the readings writer's queue): fee days wait a little (default never). */
  readonly busy?: () => boolean;
  /** Longest wait per day while busy (default 1 s): under sustained load fee days still advance. */
  readonly yieldMs?: number;
  /** Where the checkpoint is kept (<dataDir>/fee-days-checkpoint.json); without it every start does the quarter. */
  readonly checkpointFile?: string;
  /** Every reading that arrived before this instant is stored (the rollups' safe point); default now. */
  readonly arrivedBefore?: () => number;
}

export interface FeeDays extends StoredReadingsListener {
  /** Recompute the given meters' days that hold any instant of [fromMs, min(toMs, now cut to the UTC hour)). */
  recompute(meterIds: readonly string[], fromMs: number, toMs: number): Promise<{ days: number; points: number }>;
  /** Run a pass now (marks and the running days) and wait for it. */
  flush(): Promise<void>;
  start(): Promise<void>;
  /** Waits up to `timeoutMs` for a running pass (a recompute stops at its next day). */
  stop(timeoutMs?: number): Promise<void>;
}

/** A checkpoint older than this is not resumed from: the running quarter is computed whole. */
const RESUME_MAX_AGE_MS = 100 * DAY_MS;
/** What every pass recomputes for every meter: yesterday and today (a resume starts as far before its checkpoint). */
const RUNNING_DAYS_MS = 2 * DAY_MS;

export function createFeeDays(deps: FeeDaysDeps): FeeDays {
  const now = deps.now ?? Date.now;
  const intervalMs = deps.intervalMs ?? 30_000;
  const yieldMs = deps.yieldMs ?? 1_000;
  let initial: NodeJS.Timeout | undefined;
  let quarterDue = false;
  const facts = new Map(deps.registry.meters.map((m) => [m.id, meterFacts(m)] as const));
  /** meter -> earliest stored reading time not yet reflected, and the earliest arrival among them. */
  const dirty = new Map<string, { tsMs: number; rxMs: number }>();
  const markDirty = (meterId: string, tsMs: number, rxMs: number) => {
    const prev = dirty.get(meterId);
    if (!prev) dirty.set(meterId, { tsMs, rxMs });
    else if (tsMs < prev.tsMs || rxMs < prev.rxMs)
      // A new object (a pass may hold the old one): only when it changes, not for every stored reading.
      dirty.set(meterId, { tsMs: Math.min(tsMs, prev.tsMs), rxMs: Math.min(rxMs, prev.rxMs) });
  };
  const inputs = feeInputsDigest({
    facts: [...facts.values()],
    tariffs: deps.tariffs,
    policy: deps.policy,
    prices: deps.prices,
    roundingOverride: deps.roundingOverride,
  });
  let stopping = false;
  /** Quarters (labels) whose every meter-day was computed by this process. */
  const covered = new Set<string>();
  const zones = [...new Set([...facts.values()].map((f) => f.timeZone))];

  /** [from, to) of a quarter across the meters' zones. */
  function quarterRange(t: number): { label: string; fromMs: number; toMs: number } {
    const q = zones.map((z) => quarterAt(t, z));
    return { label: q[0]!.label, fromMs: Math.min(...q.map((x) => x.fromMs)), toMs: Math.max(...q.map((x) => x.toMs)) };
  }

  async function compute(periods: MeterPeriod[]): Promise<number> {
    if (!periods.length) return 0;
    const result = await computeStoreLedger({
      target: deps.target,
      meters: periods,
      tariffs: deps.tariffs,
      ...(deps.policy && { policy: deps.policy }),
      ...(deps.prices && { prices: deps.prices }),
      // Background work: one chunk of 50 meters in flight, so its answers stay small next to ingest.
      options: deps.storeOptions ?? { chunkSize: 50, concurrency: 1 },
    });
    const lines = result.meters.flatMap((r, i) =>
      feeDaysOf(r.facts, periods[i]!.fromMs, r.ledger.lines, deps.roundingOverride).map(feeDayLine),
    );
    await deps.sink.write(lines);
    return lines.length;
  }

  async function recompute(meterIds: readonly string[], fromMs: number, toMs: number) {
    // The running day up to the last whole UTC hour: a cut inside the live hour would read that hour's raw
    // readings for every meter on every pass (1,000 meters: 100 MB of RSS and most of a core at 13k readings/s);
    // at a whole hour the hour rollups answer. So the running day in fee_1d lags at most an hour.
    const until = Math.min(toMs, Math.floor(now() / HOUR_MS) * HOUR_MS);
    /** day start -> the meters' periods of that day (days differ per zone; the engine groups equal ones). */
    const byDay = new Map<number, MeterPeriod[]>();
    // The days of a zone once, not once per meter (issue 27: 1,000 meters x a quarter of days was a third of
    // the service's allocations in a backlog drain).
    const daysOfZone = new Map<string, ReturnType<typeof localDays>>();
    for (const id of meterIds) {
      const f = facts.get(id);
      if (!f || fromMs >= until) continue;
      let zoneDays = daysOfZone.get(f.timeZone);
      if (!zoneDays) daysOfZone.set(f.timeZone, (zoneDays = localDays(fromMs, until, f.timeZone)));
      for (const d of zoneDays) {
        const list = byDay.get(d.startMs) ?? [];
        list.push({ facts: f, fromMs: d.startMs, toMs: Math.min(d.endMs, until) });
        byDay.set(d.startMs, list);
      }
    }
    const days = [...byDay.keys()].sort((a, b) => a - b);
    let points = 0;
    // One ledger call per day: computeStoreLedger answers per meter, so a meter appears once in a call.
    for (const d of days) {
      if (!flushing) await giveWay();
      if (stopping) break; // stop() does not wait for a long recompute: the next start covers it again
      points += await compute(byDay.get(d)!);
    }
    return { days: days.length, points };
  }

  let flushing = false;
  /** While ingest is busy, wait (at most yieldMs) before the next day. */
  async function giveWay(): Promise<void> {
    const until = Date.now() + yieldMs;
    while (deps.busy?.() && !stopping && !flushing && Date.now() < until)
      await new Promise((r) => setTimeout(r, Math.min(50, until - Date.now())));
  }

  /** Most meters' marks one pass takes (the loop halves it after a pass that timed out). */
  const MAX_METERS_PER_PASS = 10_000;

  /** True when it left marks behind for lack of size (marks stored during the pass wait for the interval). */
  async function pass(maxMeters: number): Promise<boolean> {
    const t0 = now();
    // Every reading that arrived before this is stored, so it is in `dirty` now or already reflected.
    const arrived = Math.min(t0, deps.arrivedBefore?.() ?? t0);
    if (quarterDue) {
      await startUp();
      quarterDue = false;
      // Saved at once: a stop during the rest of this pass must not cost the next start the whole quarter again.
      saveCheckpoint(Math.min(arrived, ...[...dirty.values()].map((d) => d.rxMs)));
    }
    const taken = new Map<string, { tsMs: number; rxMs: number }>();
    for (const [id, d] of dirty) {
      if (taken.size >= maxMeters) break;
      taken.set(id, d);
    }
    const truncated = taken.size < dirty.size;
    for (const id of taken.keys()) dirty.delete(id);
    const marks = new Map([...taken].map(([id, d]) => [id, d.tsMs] as const));
    try {
      await ensureRollupsCurrent(deps.beforeRead);
      const t = now();
      const all = [...facts.keys()];
      for (const at of marks.values()) {
        const q = quarterRange(at);
        if (covered.has(q.label)) continue;
        await recompute(all, q.fromMs, q.toMs);
        covered.add(q.label);
      }
      const starts = await rangeStarts(deps.target, facts, marks);
      const running = all.filter((id) => !starts.has(id) || starts.get(id)! > t - RUNNING_DAYS_MS);
      await recompute(running, t - RUNNING_DAYS_MS, t);
      const byStart = new Map<number, string[]>();
      for (const [id, from] of starts)
        if (from <= t - RUNNING_DAYS_MS) byStart.set(from, [...(byStart.get(from) ?? []), id]);
      for (const [from, ids] of byStart) await recompute(ids, from, t);
    } catch (err) {
      for (const [id, d] of taken) markDirty(id, d.tsMs, d.rxMs);
      throw err; // the loop logs it and retries with backoff
    }
    saveCheckpoint(Math.min(arrived, ...[...dirty.values()].map((d) => d.rxMs)));
    return truncated;
  }

  /** Everything that arrived before `completeBeforeMs` is in fee_1d: say so, once the running quarter is whole. */
  function saveCheckpoint(completeBeforeMs: number): void {
    if (!deps.checkpointFile || stopping || !covered.has(quarterRange(completeBeforeMs).label)) return;
    try {
      writeFeeDaysCheckpoint(deps.checkpointFile, { completeBeforeMs, inputs }, now());
    } catch (err) {
      deps.log.warn(
        { err: (err as Error).message, file: deps.checkpointFile },
        'Could not write the fee days checkpoint; the next start recomputes more.',
      );
    }
  }

  // Periodic: the running day grows with time even when no reading arrives.
  const loop = createPassLoop({
    name: 'fee days',
    log: deps.log,
    intervalMs,
    maxSize: MAX_METERS_PER_PASS,
    // Derived data gives way: the next pass after the interval, unless this one was cut short by its size.
    run: async (size) => ((await pass(size)) ? 'now' : 'later'),
  });
  void loop.stop(0); // no pass before start()

  return {
    stored(readings, receivedMs) {
      for (const r of readings) if (facts.has(r.meterId)) markDirty(r.meterId, r.tsMs, receivedMs);
    },
    recompute,
    async flush() {
      flushing = true;
      try {
        if (initial) {
          clearTimeout(initial);
          initial = undefined;
          quarterDue = true;
        }
        await loop.runNow();
      } finally {
        flushing = false;
      }
    },
    async start() {
      loop.start();
      stopping = false;
      // The running quarter, in the background and a little later: the service does not wait for it to open
      // its ports, and a start that has a backlog to ingest does that first.
      initial = setTimeout(() => {
        initial = undefined;
        quarterDue = true;
        loop.kick(0);
      }, deps.startDelayMs ?? 15_000);
      initial.unref();
      loop.kick(intervalMs);
    },
    async stop(timeoutMs = 60_000) {
      stopping = true;
      if (initial) clearTimeout(initial);
      initial = undefined;
      await loop.stop(timeoutMs);
    },
  };

  /**
   * At start: from the checkpoint when it is usable (the days since it for every meter, and the meters whose
   * readings arrived after it, from their durable rollup marks), else every day of the running quarter for every
   * meter (unless a pass did that quarter already). Throws when it failed: the next pass tries again.
   */
  async function startUp(): Promise<void> {
    const t = now();
    await ensureRollupsCurrent(deps.beforeRead);
    const q = quarterRange(t);
    const cp = deps.checkpointFile ? readFeeDaysCheckpoint(deps.checkpointFile) : undefined;
    const usable =
      cp && cp.inputs === inputs && cp.completeBeforeMs <= t && t - cp.completeBeforeMs < RESUME_MAX_AGE_MS;
    if (cp && usable) {
      const late = await readDirtyMarks(deps.target, cp.completeBeforeMs - MARK_SLOT_MS);
      for (const m of late) if (facts.has(m.meterId)) markDirty(m.meterId, m.hourMs, m.markedMs);
      const from = Math.min(cp.completeBeforeMs, t) - RUNNING_DAYS_MS;
      const r = await recompute([...facts.keys()], from, t);
      covered.add(quarterRange(cp.completeBeforeMs).label);
      covered.add(q.label);
      deps.log.info(
        { since: new Date(from).toISOString(), days: r.days, points: r.points, meters: dirty.size, ms: now() - t },
        'Fee days resumed from their checkpoint: the days since it recomputed, and the meters with readings that arrived after it.',
      );
      return;
    }
    if (covered.has(q.label)) return;
    const r = await recompute([...facts.keys()], q.fromMs, t);
    covered.add(q.label);
    const why = !cp ? 'no checkpoint' : cp.inputs !== inputs ? 'registry, tariffs or fee settings changed' : 'too old';
    deps.log.info(
      { quarter: q.label, days: r.days, points: r.points, ms: now() - t, why },
      'Fee days of the running quarter computed.',
    );
  }
}
