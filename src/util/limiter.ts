import { KzmError } from './errors.ts';

/**
 * Bounded concurrency with a bounded queue: at most `maxActive` tasks run, at most `maxQueued` wait; the
 * next one is refused at once with OverloadedError (HTTP 503 + Retry-After), never left to time out.
 */
export class OverloadedError extends KzmError {
  constructor(message: string, retryAfterS: number) {
    super(message, { code: 'overloaded', httpStatus: 503, retryable: true, retryAfterS });
  }
}

export interface Limiter {
  run<T>(task: () => Promise<T>): Promise<T>;
  state(): { active: number; queued: number };
}

export function createLimiter(opts: {
  maxActive: number;
  /** Infinity: wait without bound (for callers that are bounded themselves). */
  maxQueued: number;
  retryAfterS?: number;
  what?: string;
}): Limiter {
  let active = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    active--;
    const next = queue.shift();
    if (next) {
      active++;
      next();
    }
  };
  return {
    async run(task) {
      if (active >= opts.maxActive) {
        if (queue.length >= opts.maxQueued) {
          throw new OverloadedError(
            `Too many ${opts.what ?? 'requests'} at once (${active} running, ${queue.length} waiting): try again in ${opts.retryAfterS ?? 5} s.`,
            opts.retryAfterS ?? 5,
          );
        }
        await new Promise<void>((resolve) => queue.push(resolve));
      } else active++;
      try {
        return await task();
      } finally {
        release();
      }
    },
    state: () => ({ active, queued: queue.length }),
  };
}
