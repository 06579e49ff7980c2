/**
 * Local wall-clock minute of day for an instant in an IANA zone (offsets from
 * the engine's zoneOffsetMs, cached per UTC hour).
 */
import { zoneOffsetMs } from '../src/util/time.ts';

/** The zone's offset at an instant (the engine's zoneOffsetMs caches it per UTC hour, exact at transitions). */
export function offsetAtMs(utcMs: number, timeZone: string): number {
  return zoneOffsetMs(utcMs, timeZone);
}

/** 0..1439 */
export function localMinuteOfDay(utcMs: number, timeZone: string): number {
  const local = utcMs + offsetAtMs(utcMs, timeZone);
  return Math.floor((((local % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
}

/** ISO-8601 with the zone's offset, e.g. 2025-07-01T05:00:00+05:00 (what many meters send). */
export function isoWithOffset(utcMs: number, timeZone: string): string {
  const off = offsetAtMs(utcMs, timeZone);
  const local = new Date(utcMs + off).toISOString().slice(0, 19);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off) / 60_000;
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}
