import type { Logger } from 'pino';
import type { StoredReadingsListener } from '../model/reading.ts';
import type { Registry } from '../registry/types.ts';
import type { BatchWriter } from '../store/batch-writer.ts';
import { readingLine, rejectedLine, statusLine } from '../store/schema.ts';
import { decodeMessage, type DecodeContext } from './decode.ts';
import type { PreviousReading } from '../formats/collect.ts';
import type { DecodedMessage } from './types.ts';
import type { LiveState } from '../live/live-state.ts';
import type { IngestMetrics } from './metrics.ts';
import { createIgnoredSampler, createRejectionLog } from './rejection-log.ts';
import { createSettleGroups } from '../util/settle-groups.ts';

export interface IngestOptions {
  registry: Registry;
  writer: BatchWriter;
  metrics: IngestMetrics;
  live: LiveState;
  log: Logger;
  maxPayloadBytes: number;
  maxFutureSkewS: number;
  rejectedPayloadMaxBytes: number;
  now?: () => number;
  /** Derived data told of stored readings (rollup marks, fee days), in this order. */
  listeners?: readonly StoredReadingsListener[];
}

/** What one message turned out to be, once stored (the embedded broker retains only an accepted status). */
export interface IngestOutcome {
  /** Status events it carried and that were accepted. */
  readonly statuses: number;
  /** Readings or the message itself were rejected (any reason). */
  readonly rejected: boolean;
}

export interface IngestPipeline {
  /**
   * Handle one MQTT message. Resolves once everything it carried (accepted readings, status events,
   * rejection records) is stored: only then may the message be acknowledged. Never rejects.
   */
  handle(topic: string, payload: Uint8Array, meta?: { retain?: boolean }): Promise<IngestOutcome>;
  // meta.retain: the message is a broker's replay of a retained message on subscribe (external broker only).
  /**
   * handle() without its outcome, for the ingest hot path (issue 27): messages whose lines joined the same write
   * share the returned promise, and what follows their write (listeners, live view, counters) runs once per
   * such group, so a message costs no promise, closure or async frame of its own. Same guarantee: it resolves
   * once everything the message carried is stored, after the listeners were told. Never rejects.
   */
  accept(topic: string, payload: Uint8Array, retain?: boolean): Promise<void>;
  /** Log what the rejection log held back; stop its timer. */
  stop(): void;
}

/**
 * decodeMessage is total by design; should a decoder still throw (a bug, or a payload shape nobody foresaw, as
 * 5,000 nested arrays were in issue 22), the message becomes one `decoder-failed` rejection and is acknowledged:
 * a redelivery cannot make it decode, and an unacknowledged message with a persistent session loops forever.
 * Logged at error level, at most once every 10 s (with how many failed since).
 */
function safeDecoder(log: Logger, now: () => number) {
  let loggedAtMs = -Infinity;
  let since = 0;
  return (topic: string, payload: Uint8Array, ctx: DecodeContext): DecodedMessage => {
    try {
      return decodeMessage(topic, payload, ctx);
    } catch (err) {
      since++;
      if (now() - loggedAtMs >= 10_000) {
        log.error({ err, topic: topic.slice(0, 200), failed: since }, 'Decoder failed; message rejected.');
        loggedAtMs = now();
        since = 0;
      }
      const detail = `the decoder failed: ${String((err as Error)?.message ?? err).slice(0, 200)}`;
      return {
        kind: 'other',
        readings: [],
        statuses: [],
        rejections: [{ reason: 'decoder-failed', count: 1, detail }],
      };
    }
  };
}

const NOT_RETAINED = Object.freeze({ retain: false });

/** A stored message's part in what follows its write. */
interface Stored {
  readonly readings: DecodedMessage['readings'];
  readonly statuses: DecodedMessage['statuses'];
  readonly receivedMs: number;
  readonly retain: boolean;
}
/** What most messages turn out to be (no object per message). */
const STORED: IngestOutcome = Object.freeze({ statuses: 0, rejected: false });

/** After this many unit-jump rejections in a row the meter's register really changed scale: accept it. */
const UNIT_JUMP_STREAK = 3;

export function createIngestPipeline(opts: IngestOptions): IngestPipeline {
  const { registry, writer, metrics, live, log } = opts;
  const listeners = opts.listeners ?? [];
  const now = opts.now ?? Date.now;
  const rejectionLog = createRejectionLog(log, { now });
  const sampler = createIgnoredSampler(60_000, 10_000, now);
  const flushTimer = setInterval(() => rejectionLog.flush(), 10_000);
  flushTimer.unref();
  const decode = safeDecoder(log, now);
  const jumpStreak = new Map<string, number>();
  /**
   * Each meter's previous reading in arrival order, set when a message is decoded, before its write: readings in
   * flight are compared with the one before them, not with the last one stored (issue 22). One entry per
   * registered meter at most. Until a meter's first message, the live view's (seeded from InfluxDB at start).
   */
  const previous = new Map<string, { tsMs: number; registerWh: number }>();
  let seq = 0;
  const lastReading = (meterId: string): PreviousReading | undefined => {
    if (jumpStreak.size && (jumpStreak.get(meterId) ?? 0) >= UNIT_JUMP_STREAK) return undefined;
    const p = previous.get(meterId);
    if (p) return p;
    const l = live.get(meterId);
    return l?.lastRegisterWh !== undefined && l.lastReadingTsMs !== undefined
      ? { tsMs: l.lastReadingTsMs, registerWh: l.lastRegisterWh }
      : undefined;
  };
  const ctx: { -readonly [K in keyof DecodeContext]: DecodeContext[K] } = {
    registry,
    nowMs: 0,
    maxPayloadBytes: opts.maxPayloadBytes,
    maxFutureSkewMs: opts.maxFutureSkewS * 1000,
    lastReading,
  };
  /** What the last accept() made of its message (read by handle() right after it). */
  let lastOutcome: IngestOutcome = STORED;
  /** The write the last message joined, and what waits on it (see accept). */
  const afterWrites = createSettleGroups<Stored>((messages) => afterWrite(messages));
  const NOTHING_TO_TELL: Stored = Object.freeze({ readings: [], statuses: [], receivedMs: 0, retain: false });

  /** After a group's write: the counters, the listeners (rollup marks, fee days, seals) and the live view. */
  function afterWrite(messages: readonly Stored[]): void {
    const storedMs = now();
    for (const m of messages) {
      const { readings, statuses, receivedMs } = m;
      if (readings.length) {
        metrics.count.readings(readings.length);
        // One observation per message (its newest reading): a gateway's buffered batch is one delivery.
        let newest = -Infinity;
        for (const r of readings) if (r.tsMs > newest) newest = r.tsMs;
        metrics.storedAge.observe(Math.max(0, storedMs - newest) / 1000);
        for (const l of listeners) l.stored(readings, receivedMs);
        for (const r of readings) live.onReading(r, receivedMs);
      }
      for (const st of statuses) {
        if (!m.retain) metrics.count.status(st.state);
        live.onStatus(st, st.tsMs ?? receivedMs);
      }
    }
  }

  function accept(topic: string, payload: Uint8Array, retain = false): Promise<void> {
    const receivedMs = now();
    // decodeMessage is total: every input becomes readings, statuses, rejection groups or "ignored".
    ctx.nowMs = receivedMs; // one context for every message: decode is synchronous and keeps none of it
    const decoded = decode(topic, payload, ctx);
    for (const r of decoded.readings) {
      const p = previous.get(r.meterId);
      if (p) {
        p.tsMs = r.tsMs;
        p.registerWh = r.registerWh;
      } else previous.set(r.meterId, { tsMs: r.tsMs, registerWh: r.registerWh });
      if (jumpStreak.size) jumpStreak.delete(r.meterId);
    }
    metrics.count.received(decoded.kind);
    const stored = writer.write(linesOf(decoded, topic, payload, receivedMs, retain));
    lastOutcome =
      !decoded.statuses.length && !decoded.rejections.length
        ? STORED
        : { statuses: decoded.statuses.length, rejected: decoded.rejections.length > 0 };
    // Messages that joined the same write are handled after it together. Every message is added, those with
    // nothing to tell too (a rejected one may open the group): the write's first reaction is then this one, so
    // the listeners are told before the broker's acknowledgements, which react after accept() returns.
    afterWrites.add(
      stored,
      decoded.readings.length || decoded.statuses.length
        ? { readings: decoded.readings, statuses: decoded.statuses, receivedMs, retain }
        : NOTHING_TO_TELL,
    );
    return stored;
  }

  /** The lines of one message: its marks, readings, statuses and rejection records. */
  function linesOf(
    decoded: DecodedMessage,
    topic: string,
    payload: Uint8Array,
    receivedMs: number,
    retain: boolean,
  ): string[] {
    // Marks first: if a long message is split over two writes, a mark without its readings is harmless.
    const lines: string[] = [];
    if (decoded.readings.length) {
      const group = writer.nextGroup?.(); // these lines go into it: write() follows without a turn in between
      for (const l of listeners)
        if (l.linesFor) for (const line of l.linesFor(decoded.readings, receivedMs, group)) lines.push(line);
    }
    for (const r of decoded.readings) lines.push(readingLine(r, receivedMs));
    // A retained status is a replay of one already stored when it was published: keep it for the live view only.
    // A status with its own time is stored at that time (the ledger applies it where it happened).
    if (!retain) for (const st of decoded.statuses) lines.push(statusLine(st, st.tsMs ?? receivedMs, seq++));
    if (decoded.ignored) {
      metrics.ignored.inc({ reason: decoded.ignored.reason });
      const folded = sampler.take(`${decoded.ignored.reason}\0${topic}`);
      if (folded > 0) {
        const g = { reason: decoded.ignored.reason, count: folded, detail: decoded.ignored.detail };
        lines.push(rejectedLine(g, topic, payload, opts.rejectedPayloadMaxBytes, receivedMs, seq++));
        rejectionLog.report(topic, [g]);
      }
    }
    for (const g of decoded.rejections) {
      metrics.rejected.inc({ reason: g.reason }, g.count);
      lines.push(rejectedLine(g, topic, payload, opts.rejectedPayloadMaxBytes, receivedMs, seq++));
      if (g.meterId !== undefined && g.reason === 'unit-jump')
        jumpStreak.set(g.meterId, (jumpStreak.get(g.meterId) ?? 0) + 1);
    }
    if (decoded.rejections.length) rejectionLog.report(topic, decoded.rejections);
    return lines;
  }

  return {
    stop() {
      clearInterval(flushTimer);
      rejectionLog.flush();
    },
    accept,
    async handle(topic, payload, meta = NOT_RETAINED) {
      const retain = meta.retain ?? false;
      const stored = accept(topic, payload, retain);
      const outcome = lastOutcome;
      await stored;
      return outcome;
    },
  };
}
