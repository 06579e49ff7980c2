/**
 * Device timestamps in the forms real devices send: ISO with offset, epoch seconds or milliseconds, and wall
 * time without offset in the site's IANA zone (Tasmota's default `Time`). Pure; zone offsets come from the
 * engine's zoneOffsetMs (cached per UTC hour, exact at transitions).
 */
import { zoneOffsetMs } from '../util/time.ts';
import type { TimestampForm } from './device-schema.ts';

const MIN_TS_MS = Date.UTC(2000, 0, 1);
const MAX_TS_MS = Date.UTC(2100, 0, 1);
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

export type TimeResult = { ok: true; ms: number } | { ok: false; detail: string };

const offsetAt = zoneOffsetMs;

/** Wall-clock ms (fields as if UTC) to the instant in `timeZone`; the earlier one when a wall time repeats. */
export function wallToUtcMs(wallMs: number, timeZone: string): number {
  const first = wallMs - offsetAt(wallMs, timeZone);
  const second = wallMs - offsetAt(first, timeZone);
  return Math.min(first, second);
}

function inRange(ms: number, raw: unknown): TimeResult {
  if (!Number.isFinite(ms)) return { ok: false, detail: `time ${JSON.stringify(raw)?.slice(0, 40)} is not a date` };
  if (ms < MIN_TS_MS) return { ok: false, detail: `time ${JSON.stringify(raw)?.slice(0, 40)} is before 2000` };
  if (ms > MAX_TS_MS) return { ok: false, detail: `time ${JSON.stringify(raw)?.slice(0, 40)} is after 2100` };
  return { ok: true, ms };
}

function parseIso(v: string, zoneIfMissing: string | undefined): TimeResult {
  const m = ISO.exec(v);
  if (!m) return { ok: false, detail: `time "${v.slice(0, 40)}" is not ISO-8601` };
  const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  const wall = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, m[6] ? +m[6] : 0) + Math.round(frac);
  const zone = m[8];
  if (zone === undefined) {
    if (zoneIfMissing === undefined)
      return { ok: false, detail: `time "${v.slice(0, 40)}" has no offset (configure form "local" for wall time)` };
    return inRange(wallToUtcMs(wall, zoneIfMissing), v);
  }
  if (zone === 'Z') return inRange(wall, v);
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
  return inRange(wall - sign * offMin * 60_000, v);
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}

/** `value` read from the payload in `form`; `timeZone` is the site's (for "local"). "arrival" is the caller's. */
export function parseDeviceTime(value: unknown, form: Exclude<TimestampForm, 'arrival'>, timeZone: string): TimeResult {
  if (value === undefined || value === null) return { ok: false, detail: 'time is missing' };
  if (form === 'iso' || form === 'local') {
    if (typeof value !== 'string') return { ok: false, detail: `time must be a string in form ${form}` };
    return parseIso(value.trim(), form === 'local' ? timeZone : undefined);
  }
  const n = asNumber(value);
  if (n === undefined)
    return { ok: false, detail: `time ${JSON.stringify(value).slice(0, 40)} is not a number (${form})` };
  return inRange(Math.round(form === 'epoch-s' ? n * 1000 : n), value);
}
