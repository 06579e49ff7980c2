import type { AcceptedReading, AcceptedStatus, Rejection } from '../ingest/types.ts';

/**
 * Data model (see README "Data model"). All timestamps are written in nanoseconds.
 *   reading      tags meter, site   fields wh (int, cumulative register), kw (float, optional), fault (int 0/1),
 *                                  ts_ms (int, the reading's own time: first()/last() per hour keep it), rx_ms (int, arrival)
 *   meter_status tags meter, site   fields state ("online"|"offline"), online (int 1/0)
 *   rejected     tags reason[, meter] fields topic, detail, payload (capped), bytes (int)
 * A reading is identified by (meter, site, time): a redelivered reading overwrites itself (idempotent).
 */
const escTag = (s: string) => s.replace(/[,= \\]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');
const escStr = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
const ns = (ms: number) => `${ms}000000`;

export function readingLine(r: AcceptedReading, receivedMs: number): string {
  const kw = r.kw === undefined ? '' : `,kw=${Number.isInteger(r.kw) ? `${r.kw}.0` : r.kw}`;
  return `reading,meter=${escTag(r.meterId)},site=${escTag(r.siteId)} wh=${r.registerWh}i${kw},fault=${r.status === 'fault' ? 1 : 0}i,ts_ms=${r.tsMs}i,rx_ms=${receivedMs}i ${ns(r.tsMs)}`;
}

/** `seq` in the ns digits keeps two events of the same millisecond (online, then the will) apart. */
export function statusLine(s: AcceptedStatus, tsMs: number, seq = 0): string {
  return `meter_status,meter=${escTag(s.meterId)},site=${escTag(s.siteId)} state=${escStr(s.state)},online=${s.state === 'online' ? 1 : 0}i ${tsMs}${String(seq % 1_000_000).padStart(6, '0')}`;
}

/** Keep at most `maxBytes` of a payload, as text (invalid bytes become U+FFFD). */
export function capPayload(payload: Uint8Array, maxBytes: number): string {
  const cut = payload.byteLength > maxBytes ? payload.subarray(0, maxBytes) : payload;
  return Buffer.from(cut).toString('utf8') + (payload.byteLength > maxBytes ? '…' : '');
}

/** `seq` keeps rejections of the same millisecond apart (same series + time would overwrite). */
export function rejectedLine(r: Rejection, topic: string, payload: Uint8Array, maxPayloadBytes: number, tsMs: number, seq: number): string {
  const meter = r.meterId ? `,meter=${escTag(r.meterId)}` : '';
  const fields = `topic=${escStr(topic.slice(0, 256))},detail=${escStr(r.detail)},payload=${escStr(capPayload(payload, maxPayloadBytes))},bytes=${payload.byteLength}i`;
  return `rejected,reason=${escTag(r.reason)}${meter} ${fields} ${tsMs}${String(seq % 1_000_000).padStart(6, '0')}`;
}
