import type { Logger } from 'pino';
import { fsCause } from './spool-io.ts';
import { createFailureTracker, type FailureMessages } from './write-failures.ts';

/** What of the spool the disk refuses: appending (acknowledgements wait), reading for the replay, or the directory
 * (a new segment, deleting a replayed one: appends go on in the current segment meanwhile). */
export type SpoolStage = 'append' | 'replay' | 'directory';

export interface SpoolFailing {
  readonly stage: SpoolStage;
  readonly cause: string;
  readonly error: string;
  readonly sinceMs: number;
  readonly attempts: number;
}

const MESSAGES: Record<SpoolStage, FailureMessages> = {
  append: {
    failing: 'Spool cannot write; acknowledgements wait and the append is retried.',
    recovered: 'Spool writes recovered; acknowledgements go on.',
  },
  replay: {
    failing: 'Spool cannot read for the replay; the read is retried.',
    recovered: 'Spool replay reads recovered.',
  },
  directory: {
    failing: 'Spool directory refuses changes (new segment, deleting a replayed one); retried.',
    recovered: 'Spool directory changes recovered.',
  },
};

/** The stage /health names first when several fail: the one that holds acknowledgements back. */
const ORDER: readonly SpoolStage[] = ['append', 'replay', 'directory'];

/**
 * The spool's failure record: one failure tracker per stage (one loud line when a failure starts or its cause
 * changes, then at most one every 30 s with the attempts, one line at recovery: bounded, summarised), and a count
 * of every failure by stage and cause for /metrics.
 */
export function createSpoolFailures(log: Logger, now: () => number) {
  const trackers = Object.fromEntries(ORDER.map((s) => [s, createFailureTracker(log, MESSAGES[s])])) as Record<
    SpoolStage,
    ReturnType<typeof createFailureTracker>
  >;
  const counts = new Map<string, { stage: SpoolStage; cause: string; count: number }>();
  const count = (stage: SpoolStage, cause: string) => {
    const key = `${stage}\0${cause}`;
    const c = counts.get(key) ?? { stage, cause, count: 0 };
    c.count++;
    counts.set(key, c);
  };
  return {
    failed(stage: SpoolStage, err: unknown, fields: Record<string, unknown>): void {
      const cause = fsCause(err);
      count(stage, cause);
      const error = String((err as Error)?.message ?? err).slice(0, 300);
      trackers[stage].onFailure({ cause, error }, { stage, ...fields }, now());
    },
    recovered(stage: SpoolStage): void {
      trackers[stage].onSuccess(now());
    },
    count,
    state(): { failing?: SpoolFailing; errors: { stage: SpoolStage; cause: string; count: number }[] } {
      const errors = [...counts.values()].map((c) => ({ ...c }));
      for (const stage of ORDER) {
        const f = trackers[stage].state(now()).failing;
        if (f)
          return {
            failing: { stage, cause: f.cause, error: f.error, sinceMs: f.sinceMs, attempts: f.attempts },
            errors,
          };
      }
      return { errors };
    },
  };
}
