import type { Registry } from '../registry/types.ts';
import { formatPath } from '../util/zod-error.ts';
import { readingPayloadSchema, statusPayloadSchema } from './payload-schema.ts';
import type { AcceptedReading, DecodedMessage, Rejection } from './types.ts';

export interface DecodeContext {
  readonly registry: Registry;
  readonly nowMs: number;
  readonly maxPayloadBytes: number;
  readonly maxFutureSkewMs: number;
}

const TOPIC = /^meters\/([^/]+)\/(reading|status)$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const reject = (kind: DecodedMessage['kind'], r: Rejection): DecodedMessage => ({
  kind,
  readings: [],
  rejections: [r],
});

/** Topics this service ingests; anything else on the broker is not ours and is passed over. */
export function isIngestTopic(topic: string): boolean {
  return topic.startsWith('meters/');
}

function decodeText(payload: Uint8Array): string | undefined {
  try {
    return utf8.decode(payload);
  } catch {
    return undefined;
  }
}

/** Pure: topic + payload -> accepted readings/status and rejections. Never throws on any input. */
export function decodeMessage(topic: string, payload: Uint8Array, ctx: DecodeContext): DecodedMessage {
  const m = TOPIC.exec(topic);
  if (!m)
    return reject('other', {
      reason: 'unknown-topic',
      detail: `topic "${topic.slice(0, 200)}" is not meters/{meterId}/reading or meters/{meterId}/status`,
    });
  const [, meterId = '', kindRaw] = m;
  const kind = kindRaw as 'reading' | 'status';
  const meter = ctx.registry.meterById.get(meterId);
  const known = meter ? { meterId } : {};
  if (payload.byteLength > ctx.maxPayloadBytes) {
    return reject(kind, {
      reason: 'oversized',
      detail: `payload is ${payload.byteLength} bytes, limit is ${ctx.maxPayloadBytes}`,
      ...known,
    });
  }
  if (!meter)
    return reject(kind, { reason: 'unknown-meter', detail: `meter "${meterId.slice(0, 100)}" is not in the registry` });
  const text = decodeText(payload);
  if (text === undefined)
    return reject(kind, { reason: 'invalid-utf8', detail: 'payload is not valid UTF-8', meterId });

  if (kind === 'status') {
    const state = statusPayloadSchema.safeParse(text.trim());
    if (!state.success)
      return reject(kind, {
        reason: 'invalid-status',
        detail: `status must be "online" or "offline", got "${text.slice(0, 50)}"`,
        meterId,
      });
    return { kind, readings: [], rejections: [], status: { meterId, siteId: meter.siteId, state: state.data } };
  }

  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return reject(kind, { reason: 'invalid-json', detail: (err as Error).message.slice(0, 200), meterId });
  }
  const items = Array.isArray(doc) ? doc : [doc];
  if (items.length === 0)
    return reject(kind, { reason: 'empty-batch', detail: 'an empty array carries no reading', meterId });

  const readings: AcceptedReading[] = [];
  const rejections: Rejection[] = [];
  items.forEach((item, i) => {
    const where = Array.isArray(doc) ? `[${i}] ` : '';
    const parsed = readingPayloadSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = formatPath(issue.path);
      rejections.push({ reason: 'schema', detail: `${where}${field ? `${field}: ` : ''}${issue.message}`, meterId });
      return;
    }
    const { ts, kwh, kw, status } = parsed.data;
    if (ts > ctx.nowMs + ctx.maxFutureSkewMs) {
      rejections.push({
        reason: 'future-timestamp',
        detail: `${where}ts ${new Date(ts).toISOString()} is ahead of server time ${new Date(ctx.nowMs).toISOString()} by more than ${ctx.maxFutureSkewMs / 1000} s`,
        meterId,
      });
      return;
    }
    if (ts < meter.commissionedMs) {
      rejections.push({
        reason: 'before-commissioning',
        detail: `${where}ts ${new Date(ts).toISOString()} is before the meter was commissioned (${new Date(meter.commissionedMs).toISOString()})`,
        meterId,
      });
      return;
    }
    // The reading at the decommissioning instant is the meter's removal reading: it closes the last interval.
    if (meter.decommissionedMs !== undefined && ts > meter.decommissionedMs) {
      rejections.push({
        reason: 'after-decommissioning',
        detail: `${where}ts ${new Date(ts).toISOString()} is after the meter was decommissioned (${new Date(meter.decommissionedMs).toISOString()})`,
        meterId,
      });
      return;
    }
    // Registers report kWh with 3 decimals: x1000 is exact Wh up to float noise, which Math.round removes.
    readings.push({
      meterId,
      siteId: meter.siteId,
      tsMs: ts,
      registerWh: Math.round(kwh * 1000),
      status,
      ...(kw !== undefined && { kw }),
    });
  });
  return { kind, readings, rejections };
}
