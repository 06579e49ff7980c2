import type { Logger } from 'pino';

export interface FailingState {
  readonly cause: string;
  readonly error: string;
  readonly sinceMs: number;
  readonly lastAtMs: number;
  readonly attempts: number;
}

export interface RecoveredState {
  readonly cause: string;
  readonly error: string;
  readonly failedForMs: number;
  readonly recoveredAtMs: number;
}

/** The two fixed messages of a failure record: what fails and what that means for the data, and its end. */
export interface FailureMessages {
  readonly failing: string;
  readonly recovered: string;
}

/**
 * The failure record of a writer (or the spool) for /health and the log: while writes fail, one loud error line
 * when the cause appears or changes and then at most one every `loudEveryMs` (a summary, not a line per attempt);
 * once a write succeeds the failure moves to `recovered` (kept for `keepRecoveredMs`, then forgotten) and one info
 * line says so.
 */
export function createFailureTracker(
  log: Logger,
  messages: FailureMessages,
  loudEveryMs = 30_000,
  keepRecoveredMs = 15 * 60_000,
) {
  let failing: (FailingState & { loggedAtMs: number; attemptsLogged: number }) | undefined;
  let recovered: RecoveredState | undefined;
  return {
    /** `fields`: what the log line adds (lines waiting, retry delay, ...). */
    onFailure(
      f: { readonly cause: string; readonly error: string },
      fields: Record<string, unknown>,
      nowMs = Date.now(),
    ): void {
      const changed = !failing || failing.cause !== f.cause;
      const attempts = changed ? 1 : failing!.attempts + 1;
      const sinceMs = changed ? nowMs : failing!.sinceMs;
      if (changed || nowMs - failing!.loggedAtMs >= loudEveryMs) {
        log.error(
          { cause: f.cause, err: f.error, ...fields, attempts, failingForS: Math.round((nowMs - sinceMs) / 1000) },
          messages.failing,
        );
        failing = {
          cause: f.cause,
          error: f.error,
          sinceMs,
          lastAtMs: nowMs,
          attempts,
          loggedAtMs: nowMs,
          attemptsLogged: attempts,
        };
        return;
      }
      failing = { ...failing!, error: f.error, lastAtMs: nowMs, attempts };
    },
    onSuccess(nowMs = Date.now()): void {
      if (!failing) return;
      recovered = {
        cause: failing.cause,
        error: failing.error,
        failedForMs: nowMs - failing.sinceMs,
        recoveredAtMs: nowMs,
      };
      log.info(
        { cause: failing.cause, attempts: failing.attempts, failedForMs: recovered.failedForMs },
        messages.recovered,
      );
      failing = undefined;
    },
    state(nowMs = Date.now()): { failing?: FailingState; recovered?: RecoveredState } {
      if (recovered && nowMs - recovered.recoveredAtMs > keepRecoveredMs) recovered = undefined;
      return {
        ...(failing && {
          failing: {
            cause: failing.cause,
            error: failing.error,
            sinceMs: failing.sinceMs,
            lastAtMs: failing.lastAtMs,
            attempts: failing.attempts,
          },
        }),
        ...(recovered && { recovered }),
      };
    },
  };
}
