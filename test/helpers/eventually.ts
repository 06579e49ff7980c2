/**
 * Waiting for a condition in a test: poll until it holds, with a deadline. Every test that waits FOR something
 * (a reading stored, a subscription made, a pass run, a service recovered) uses this instead of a fixed sleep;
 * a deliberate duration (a fault's length, a window in which something must not happen) is `holdFor`.
 */

export interface EventuallyOptions<T> {
  /** What is awaited, for the failure message (default: the source of `ok`). */
  readonly what?: string;
  /** How the last value is shown in the failure message (default: JSON, shortened). */
  readonly show?: (last: T) => unknown;
  /** Time between polls (default 100 ms). */
  readonly intervalMs?: number;
}

/** eventually() ran out of time; the message names what was awaited and the last value seen. */
export class EventuallyTimeoutError extends Error {
  constructor(
    message: string,
    readonly last: unknown,
  ) {
    super(message);
    this.name = 'EventuallyTimeoutError';
  }
}

const SHOWN_CHARS = 600;

/** A value for a failure message: JSON (Sets and Maps as arrays), cut to a readable length. */
export function showValue(v: unknown): string {
  let text: string;
  try {
    text =
      JSON.stringify(v, (_k, x: unknown) =>
        x instanceof Set ? { Set: x.size, first: [...x].slice(0, 5) } : x instanceof Map ? [...x] : x,
      ) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}... (${text.length} chars)` : text;
}

/**
 * Poll `fn` until `ok` holds for its value, and return that value; after `timeoutMs` throw an
 * EventuallyTimeoutError naming what was awaited and the last value. An error thrown by `fn` ends the wait.
 * `what` may be given as a string (the same as `{ what }`).
 */
export async function eventually<T>(
  fn: () => T | Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 15_000,
  opts: string | EventuallyOptions<T> = {},
): Promise<T> {
  const o: EventuallyOptions<T> = typeof opts === 'string' ? { what: opts } : opts;
  const until = Date.now() + timeoutMs;
  let polls = 1;
  let v = await fn();
  while (!ok(v)) {
    if (Date.now() >= until) {
      const what = o.what ?? `${oneLine(ok)} (on ${oneLine(fn)})`;
      const last = o.show ? o.show(v) : v;
      throw new EventuallyTimeoutError(
        `eventually: gave up after ${timeoutMs} ms (${polls} polls) waiting for ${what}; last value: ${showValue(last)}`,
        v,
      );
    }
    await new Promise((r) => setTimeout(r, Math.min(o.intervalMs ?? 100, Math.max(0, until - Date.now()))));
    v = await fn();
    polls++;
  }
  return v;
}

const oneLine = (f: (...args: never[]) => unknown) => {
  const s = f.toString().replace(/\s+/g, ' ');
  return s.length > 160 ? `${s.slice(0, 160)}...` : s;
};

/**
 * Wait until `fn` gives the same value on two polls in a row (`intervalMs` apart) and `ok` holds for it: a count
 * that has stopped moving, e.g. acknowledgements once a spool is full. Returns that value.
 */
export async function steady<T>(
  fn: () => T | Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 15_000,
  opts: string | EventuallyOptions<T> = {},
): Promise<T> {
  const o: EventuallyOptions<T> = typeof opts === 'string' ? { what: opts } : opts;
  let previous: { v: T } | undefined;
  const polled = await eventually(
    async () => {
      const v = await fn();
      const same = previous !== undefined && Object.is(previous.v, v);
      previous = { v };
      return { v, same };
    },
    (p) => p.same && ok(p.v),
    timeoutMs,
    {
      what: `${o.what ?? oneLine(ok)}, the same on two polls in a row`,
      show: (p) => (o.show ? o.show(p.v) : p.v),
      ...(o.intervalMs !== undefined && { intervalMs: o.intervalMs }),
    },
  );
  return polled.v;
}
