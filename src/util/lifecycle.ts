/**
 * One lifecycle for the service's components (zigbee2mqtt's extensions share one the same way): each has a
 * name, start() and stop(), and the longest its stop may take. Components start in the order given and stop in
 * reverse, each stop bounded by its timeout (what a component leaves unfinished is recovered at the next start:
 * unacknowledged readings are redelivered, the spool replays, rollup marks are durable).
 */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Longest wait for stop(); it may depend on the state at stop time (e.g. shorter while InfluxDB refuses). */
  stopTimeoutMs(): number;
}

export interface Lifecycle {
  /** Start `c` (after the ones started before it) and register it for the stop. */
  start(c: Component): Promise<void>;
  /** Register something started elsewhere, to be stopped in reverse order with the others. */
  started(c: Component): void;
  /** Stop every started component in reverse order; a failing or slow stop does not hold the others. */
  stopAll(onError: (name: string, err: Error) => void, onTimeout?: (name: string, ms: number) => void): Promise<void>;
  /** Names of the started components, in start order. */
  names(): string[];
}

/** Resolve when `p` settles or after `ms`, whichever is first: true when it settled in time. */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let t: NodeJS.Timeout | undefined;
  const timedOut = Symbol('timeout');
  const r = await Promise.race([
    p.then(() => undefined),
    new Promise((res) => (t = setTimeout(res, ms, timedOut))),
  ]).finally(() => clearTimeout(t));
  return r !== timedOut;
}

export function createLifecycle(): Lifecycle {
  const running: Component[] = [];
  return {
    async start(c) {
      await c.start();
      running.push(c);
    },
    started(c) {
      running.push(c);
    },
    async stopAll(onError, onTimeout) {
      while (running.length) {
        const c = running.pop()!;
        const ms = c.stopTimeoutMs();
        const stopping = c.stop().catch((err: Error) => onError(c.name, err));
        if (!(await within(stopping, ms))) onTimeout?.(c.name, ms);
      }
    },
    names: () => running.map((c) => c.name),
  };
}

/** A component from a start and a stop function. */
export function component(
  name: string,
  stop: () => Promise<unknown> | void,
  stopTimeoutMs: number | (() => number) = 15_000,
  start: () => Promise<unknown> | void = () => undefined,
): Component {
  return {
    name,
    start: async () => void (await start()),
    stop: async () => void (await stop()),
    stopTimeoutMs: typeof stopTimeoutMs === 'number' ? () => stopTimeoutMs : stopTimeoutMs,
  };
}
