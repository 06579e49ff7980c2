import type { Logger } from 'pino';
import type { Registry } from '../registry/types.ts';
import type { BatchWriter } from '../store/batch-writer.ts';
import { readingLine, rejectedLine, statusLine } from '../store/line-protocol.ts';
import { decodeMessage, isIngestTopic } from './decode.ts';
import type { LiveState } from '../live/live-state.ts';
import type { IngestMetrics } from './metrics.ts';
import type { RollupMarks } from '../rollup/marks.ts';

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
  /** Durable rollup marks written with the readings; the worker is told once they are stored. */
  rollupMarks?: RollupMarks;
}

export interface IngestPipeline {
  /**
   * Handle one MQTT message. Resolves once everything it carried (accepted readings, status event,
   * rejection records) is stored: only then may the message be acknowledged. Never rejects.
   */
  handle(topic: string, payload: Uint8Array, meta?: { retain?: boolean }): Promise<void>;
  // meta.retain: the message is a broker's replay of a retained message on subscribe (external broker only).
}

export function createIngestPipeline(opts: IngestOptions): IngestPipeline {
  const { registry, writer, metrics, live, log } = opts;
  const now = opts.now ?? Date.now;
  let seq = 0;
  return {
    async handle(topic, payload, meta = {}) {
      if (!isIngestTopic(topic)) return;
      const receivedMs = now();
      // decodeMessage is total: every input becomes readings and/or rejections, never an exception.
      const decoded = decodeMessage(topic, payload, {
        registry,
        nowMs: receivedMs,
        maxPayloadBytes: opts.maxPayloadBytes,
        maxFutureSkewMs: opts.maxFutureSkewS * 1000,
      });
      metrics.received.inc({ kind: decoded.kind });
      // Marks first: if a long message is split over two writes, a mark without its readings is harmless.
      const lines: string[] = opts.rollupMarks ? opts.rollupMarks.linesFor(decoded.readings, receivedMs) : [];
      for (const r of decoded.readings) lines.push(readingLine(r, receivedMs));
      // A retained status is a replay of one already stored when it was published: keep it for the live view only.
      if (decoded.status && !meta.retain) lines.push(statusLine(decoded.status, receivedMs, seq++));
      for (const rej of decoded.rejections) {
        metrics.rejected.inc({ reason: rej.reason });
        log.warn({ topic: topic.slice(0, 200), reason: rej.reason, detail: rej.detail }, 'Reading rejected.');
        lines.push(rejectedLine(rej, topic, payload, opts.rejectedPayloadMaxBytes, receivedMs, seq++));
      }
      await writer.write(lines);
      metrics.readingsAccepted.inc(decoded.readings.length);
      opts.rollupMarks?.stored(decoded.readings, receivedMs);
      for (const r of decoded.readings) live.onReading(r, receivedMs);
      if (decoded.status) {
        if (!meta.retain) metrics.statusAccepted.inc({ state: decoded.status.state });
        live.onStatus(decoded.status, receivedMs);
      }
    },
  };
}
