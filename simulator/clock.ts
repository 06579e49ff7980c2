/**
 * When to send a message stamped with simulated time atMs:
 * real = at the matching wall-clock instant (speed 1), xN = N times faster,
 * backfill = as fast as the broker acknowledges, catch-up = as fast as
 * possible while simulated time is in the past, then at the wall-clock
 * instant (the demo: the quarter so far, then live). An optional message rate
 * (load generation) caps any of them.
 */
export type ClockSpec = 'real' | 'backfill' | 'catch-up' | { speed: number };

export interface Pacer {
  /** Resolves when the message may go; false when aborted. */
  wait(atMs: number, signal?: AbortSignal): Promise<boolean>;
}

export function parseClock(text: string): ClockSpec | undefined {
  if (text === 'real' || text === 'backfill' || text === 'catch-up') return text;
  const m = /^x(\d+(\.\d+)?)$/.exec(text);
  if (m && Number(m[1]) > 0) return { speed: Number(m[1]) };
  return undefined;
}

export function clockLabel(c: ClockSpec): string {
  return typeof c === 'string' ? c : `x${c.speed}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function createPacer(
  clock: ClockSpec,
  simStartMs: number,
  opts: { ratePerS?: number; now?: () => number } = {},
): Pacer {
  const now = opts.now ?? Date.now;
  const wallStart = now();
  const speed = clock === 'backfill' || clock === 'catch-up' ? undefined : clock === 'real' ? 1 : clock.speed;
  let sent = 0;
  return {
    async wait(atMs, signal) {
      let dueMs = -Infinity;
      if (speed !== undefined) dueMs = wallStart + (atMs - simStartMs) / speed;
      if (clock === 'catch-up') dueMs = atMs;
      if (opts.ratePerS) dueMs = Math.max(dueMs, wallStart + (sent * 1000) / opts.ratePerS);
      sent++;
      const wait = dueMs - now();
      // Below a few ms a timer costs more than it saves; batches at the same instant go out together.
      if (wait > 2) return sleep(wait, signal);
      return !signal?.aborted;
    },
  };
}
