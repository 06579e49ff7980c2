import { crc32 } from 'node:zlib';

/**
 * One spool record: a group of line-protocol lines appended together.
 *   u32 LE  body length (bytes after this 16-byte header)
 *   u32 LE  CRC-32 of the bytes from offset 8 to the end (timestamp and body)
 *   f64 LE  appended at (epoch ms): the spool's age on /health and /metrics
 *   body    the lines joined by "\n", UTF-8
 * A record whose length runs past the end of the file, or whose CRC does not match, ends the valid log: a
 * crash mid-append leaves exactly such a tail, and recovery cuts the file there.
 */
export const HEADER_BYTES = 16;
const MAX_BODY_BYTES = 256 * 1024 * 1024;

export function encodeRecord(lines: readonly string[], atMs: number): Buffer {
  const body = Buffer.from(lines.join('\n'), 'utf8');
  const rec = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  rec.writeUInt32LE(body.length, 0);
  rec.writeDoubleLE(atMs, 8);
  body.copy(rec, HEADER_BYTES);
  rec.writeUInt32LE(crc32(rec.subarray(8)), 4);
  return rec;
}

export interface DecodedRecord {
  readonly lines: string[];
  readonly atMs: number;
  /** Offset of the record's end within the scanned buffer. */
  readonly end: number;
}

export type ScanResult =
  | { readonly kind: 'record'; readonly record: DecodedRecord }
  /** Not enough bytes yet for the record at this offset (needs `need` bytes from it). */
  | { readonly kind: 'partial'; readonly need: number }
  | { readonly kind: 'corrupt'; readonly reason: string };

/** The record at `offset` of `buf` (which holds bytes of the log from some record boundary on). */
export function readRecord(buf: Buffer, offset: number, decode = true): ScanResult {
  if (buf.length - offset < HEADER_BYTES) return { kind: 'partial', need: HEADER_BYTES };
  const len = buf.readUInt32LE(offset);
  if (len > MAX_BODY_BYTES) return { kind: 'corrupt', reason: `record length ${len} is implausible` };
  const end = offset + HEADER_BYTES + len;
  if (end > buf.length) return { kind: 'partial', need: HEADER_BYTES + len };
  if (crc32(buf.subarray(offset + 8, end)) !== buf.readUInt32LE(offset + 4))
    return { kind: 'corrupt', reason: 'CRC mismatch' };
  const atMs = buf.readDoubleLE(offset + 8);
  const lines = decode && len > 0 ? buf.toString('utf8', offset + HEADER_BYTES, end).split('\n') : [];
  return { kind: 'record', record: { lines, atMs, end } };
}

/**
 * The offset of the first whole record (length fits in `buf`, CRC matches) at or after `from`, or -1. Steps over a
 * damaged stretch; a false match needs a CRC-32 collision over the candidate's bytes.
 */
export function nextWholeRecordIn(buf: Buffer, from: number, until = buf.length): number {
  for (let p = from; p < until; p++) if (readRecord(buf, p, false).kind === 'record') return p;
  return -1;
}
