/**
 * Pure: (topic, payload) -> accepted readings and statuses, rejections folded by reason, or "ignored".
 * The format comes from the topic: meters/{id}/... is our own JSON; every other topic is looked up in the
 * registry's devices and decoded by its format's record (src/formats/table.ts). Never throws on any input, and its output is
 * bounded whatever the payload: at most one rejection group per (reason, meter).
 */
import type { IgnoreReason } from '../model/reading.ts';
import { deviceIndex } from '../formats/device-index.ts';
import { createCollector, type DecodeContext } from '../formats/collect.ts';
import { decodeNativeReadings, decodeNativeStatus } from '../formats/native.ts';
import { formatSpec } from '../formats/table.ts';
import type { RejectionGroup } from '../formats/tally.ts';
import type { DecodedMessage } from './types.ts';

export type { DecodeContext } from '../formats/collect.ts';

/** meters/{meterId}/reading or /status (meterId without '/'), read without a regex match per message (issue 27). */
function nativeTopic(topic: string): { meterId: string; kind: 'reading' | 'status' } | undefined {
  const kind = topic.endsWith('/reading') ? 'reading' : topic.endsWith('/status') ? 'status' : undefined;
  if (kind === undefined) return undefined;
  const end = topic.length - kind.length - 1;
  if (end <= 7 || topic.lastIndexOf('/', end - 1) !== 6) return undefined;
  return { meterId: topic.slice(7, end), kind };
}
const utf8 = new TextDecoder('utf-8', { fatal: true });

const rejected = (kind: DecodedMessage['kind'], g: Omit<RejectionGroup, 'count'>): DecodedMessage => ({
  kind,
  readings: [],
  statuses: [],
  rejections: [{ ...g, count: 1 }],
});
const ignored = (reason: IgnoreReason, detail: string): DecodedMessage => ({
  kind: 'other',
  readings: [],
  statuses: [],
  rejections: [],
  ignored: { reason, detail },
});

function decodeText(payload: Uint8Array): string | undefined {
  try {
    return utf8.decode(payload);
  } catch {
    return undefined;
  }
}

function decodeNative(
  { meterId, kind }: { meterId: string; kind: 'reading' | 'status' },
  payload: Uint8Array,
  ctx: DecodeContext,
): DecodedMessage {
  const meter = ctx.registry.meterById.get(meterId);
  if (payload.byteLength > ctx.maxPayloadBytes)
    return rejected(kind, {
      reason: 'oversized',
      detail: `payload is ${payload.byteLength} bytes, limit is ${ctx.maxPayloadBytes}`,
      ...(meter && { meterId }),
    });
  if (!meter)
    return rejected(kind, {
      reason: 'unknown-meter',
      detail: `meter "${meterId.slice(0, 100)}" is not in the registry`,
    });
  const text = decodeText(payload);
  if (text === undefined)
    return rejected(kind, { reason: 'invalid-utf8', detail: 'payload is not valid UTF-8', meterId });
  const c = createCollector(ctx);
  if (kind === 'status') decodeNativeStatus(c, meter, text);
  else decodeNativeReadings(c, meter, text);
  return { kind, readings: c.readings, statuses: c.statuses, rejections: c.tally.groups() };
}

export function decodeMessage(topic: string, payload: Uint8Array, ctx: DecodeContext): DecodedMessage {
  if (topic.startsWith('meters/')) {
    const m = nativeTopic(topic);
    if (m) return decodeNative(m, payload, ctx);
    return ignored(
      'unknown-topic',
      `topic "${topic.slice(0, 200)}" is not meters/{meterId}/reading or meters/{meterId}/status`,
    );
  }
  const found = deviceIndex(ctx.registry).route(topic);
  if (found === undefined)
    return ignored('unknown-topic', `no format or device in the registry reads "${topic.slice(0, 200)}"`);
  if ('unknownDevice' in found) return rejected('other', { reason: 'unknown-device', detail: found.unknownDevice });
  const route = found.route;
  const spec = formatSpec(route.format);
  const kind: DecodedMessage['kind'] = spec.isStatus(route.part) ? 'status' : 'reading';
  if (route.part === 'other')
    return ignored('not-metering', `${route.format} device "${route.device.topic}": this topic carries no energy`);
  const meterId = route.device.meters[0]!.meterId;
  if (payload.byteLength > ctx.maxPayloadBytes)
    return rejected(kind, {
      reason: 'oversized',
      detail: `payload is ${payload.byteLength} bytes, limit is ${ctx.maxPayloadBytes}`,
      meterId,
    });
  const text = decodeText(payload);
  if (text === undefined)
    return rejected(kind, { reason: 'invalid-utf8', detail: 'payload is not valid UTF-8', meterId });
  const c = createCollector(ctx);
  if (spec.decode(c, ctx.registry, route, text) === 'ignored')
    return ignored(
      'not-metering',
      `${route.format} device "${route.device.topic}": no energy register of its meters here`,
    );
  return { kind, readings: c.readings, statuses: c.statuses, rejections: c.tally.groups() };
}
