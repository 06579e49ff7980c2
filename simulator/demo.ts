/**
 * The `npm start` demo: every registry meter from the start of the running quarter, published as fast
 * as the service takes it until the simulated clock reaches now ("catch-up"), then at each meter's
 * interval in real time. So the dashboard opens on a quarter that looks like a working data centre
 * (readings from day one, a few realistic failures) instead of one charged at max load since the
 * quarter began. Past readings go as gateway batches (an hour of one meter's readings in one message,
 * each reading at the meter's own interval, so the ledger meters them), which is what makes the
 * quarter-to-date backfill take tens of seconds rather than tens of minutes.
 */
import { type PublishMessage, type SimMessage, readingTopic } from './message.ts';
import { parseScenario } from './scenario-load.ts';
import type { Scenario } from './scenario-schema.ts';
import { parseLocalDate, zonedMidnightMs } from '../src/fees/zoned-time.ts';

const HOUR_MS = 3_600_000;

/** Local date (YYYY-MM-DD) of the first day of the quarter running at nowMs in `timeZone`. */
export function quarterStartDate(nowMs: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(
    new Date(nowMs),
  );
  const year = parts.find((p) => p.type === 'year')!.value;
  const month = Number(parts.find((p) => p.type === 'month')!.value);
  return `${year}-${String(Math.floor((month - 1) / 3) * 3 + 1).padStart(2, '0')}-01`;
}

/** The demo's failures, at fixed hours after the quarter's first local midnight. */
const DEMO_FAILURES = [
  // Day 20, 14:00: the meter flags a fault and its register stands still for 12 h 15 min.
  {
    kind: 'fault' as const,
    meter: 'ekb-1-m07',
    afterH: 19 * 24 + 14,
    durationMin: 12.25 * 60,
    note: 'fault, register frozen',
  },
  // Day 35, 03:00: a silent communications outage of 3 h (the register keeps counting).
  { kind: 'outage' as const, meter: 'kpg-2-m01', afterH: 34 * 24 + 3, durationMin: 180, note: 'silent comms outage' },
  // Day 50, 10:00: the link drops (the broker publishes the last will) for 45 min.
  { kind: 'outage-will' as const, meter: 'ast-3-m01', afterH: 49 * 24 + 10, durationMin: 45, note: 'link dropped' },
];

/**
 * The demo scenario: the whole registry from the quarter's first day, no end, the solar meter in
 * daylight only, and a few failures so the ledger has something to explain: a meter fault with a frozen
 * register, a silent outage, a dropped link (last will). They sit at fixed times of the quarter, not
 * relative to now, so every run in the same quarter generates the same readings for the same instants:
 * a second `npm start` on a kept data directory overwrites what the first stored with identical points
 * (a failure later than now happens live).
 */
export function demoScenario(nowMs: number, timeZone = 'Asia/Almaty'): Scenario {
  const start = quarterStartDate(nowMs, timeZone);
  const startMs = zonedMidnightMs(parseLocalDate(start)!, timeZone);
  return parseScenario(
    {
      name: 'demo',
      description: 'npm start: the quarter so far at full speed, then live; a fault, an outage and a dropped link.',
      start,
      timeZone,
      rigs: { rebootsPerRigPerDay: 0.02 },
      curtailment: [{ kind: 'daily-run-window', meter: 'kpg-2-m03', from: '07:00', to: '20:00' }],
      failures: DEMO_FAILURES.map(({ afterH, ...f }) => ({
        ...f,
        at: new Date(startMs + afterH * HOUR_MS).toISOString(),
      })),
    },
    'built-in demo scenario',
  );
}

/**
 * Groups the readings of each meter sent before `liveFromMs` into batches of up to `maxBatch` (one JSON
 * array, as a gateway flushing its buffer). A meter's batch is sent before any other message of that
 * meter (status, link drop) so its order is kept; everything from liveFromMs on passes one by one.
 * `keepEvery` thins the past (coarse history, the backfill's bulk): of each meter's plain past readings
 * only every k-th is sent, so two sent readings are k intervals apart; keep k at most the fee policy's
 * grace (3 intervals by default) so the ledger still meters them. Readings shaped by a failure (fault,
 * spike, reset, ...) and the first reading after a silence are always sent; a silence may look up to
 * k - 1 intervals longer at its start. onLive is called once, when the stream first reaches liveFromMs.
 */
export function* batchPastReadings(
  stream: Iterable<SimMessage>,
  liveFromMs: number,
  opts: { maxBatch?: number; keepEvery?: number; onLive?: () => void } = {},
): Generator<SimMessage> {
  const maxBatch = opts.maxBatch ?? 60;
  const keepEvery = Math.max(1, Math.floor(opts.keepEvery ?? 1));
  const open = new Map<string, { msgs: PublishMessage[]; bodies: unknown[] }>();
  /** Per meter: readings seen in the past, the last one's time and the step before it. */
  const seen = new Map<string, { n: number; atMs: number; stepMs: number }>();
  const flush = function* (meterId: string): Generator<SimMessage> {
    const b = open.get(meterId);
    if (!b) return;
    open.delete(meterId);
    const last = b.msgs[b.msgs.length - 1]!;
    if (b.msgs.length === 1) return yield last;
    yield {
      ...last,
      payload: JSON.stringify(b.bodies),
      kind: 'flush',
      readings: b.msgs.flatMap((m) => m.readings ?? []),
    };
  };
  const keep = (msg: PublishMessage): boolean => {
    const prev = seen.get(msg.meterId);
    const stepMs = prev ? msg.atMs - prev.atMs : Infinity;
    const afterSilence = prev !== undefined && stepMs > prev.stepMs * 1.5;
    const n = (prev?.n ?? -1) + 1;
    seen.set(msg.meterId, { n, atMs: msg.atMs, stepMs: prev ? Math.min(prev.stepMs, stepMs) : Infinity });
    return n % keepEvery === 0 || msg.failure !== undefined || afterSilence;
  };
  let live = false;
  for (const msg of stream) {
    if (!live && msg.atMs >= liveFromMs) {
      live = true;
      for (const id of [...open.keys()]) yield* flush(id);
      // Every message of the past has been handed to the publisher (the runner pulls one at a time).
      opts.onLive?.();
    }
    // Only our own JSON on our own topic is batched (a device format has its own payload shape).
    const batchable =
      !live &&
      msg.type === 'publish' &&
      msg.kind === 'reading' &&
      msg.topic === readingTopic(msg.meterId) &&
      typeof msg.payload === 'string' &&
      msg.payload.startsWith('{');
    if (!batchable) {
      yield* flush(msg.meterId);
      yield msg;
      continue;
    }
    if (!keep(msg)) continue;
    let b = open.get(msg.meterId);
    if (!b) open.set(msg.meterId, (b = { msgs: [], bodies: [] }));
    b.msgs.push(msg);
    b.bodies.push(JSON.parse(msg.payload as string));
    if (b.msgs.length >= maxBatch) yield* flush(msg.meterId);
  }
  for (const id of [...open.keys()]) yield* flush(id);
}
