/**
 * Local wall-clock minute of day for an instant in an IANA zone, with the
 * zone offset cached per UTC hour (Intl is slow; offsets change at most on
 * hour boundaries in the zones we meet).
 */
import { zoneOffsetMs } from '../src/util/time.ts';

const HOUR_MS = 3_600_000;
const caches = new Map<string, Map<number, number>>();

export function offsetAtMs(utcMs: number, timeZone: string): number {
  let cache = caches.get(timeZone);
  if (!cache) {
    cache = new Map();
    caches.set(timeZone, cache);
  }
  const hour = Math.floor(utcMs / HOUR_MS);
  let off = cache.get(hour);
  if (off === undefined) {
    off = zoneOffsetMs(hour * HOUR_MS, timeZone);
    if (cache.size > 50_000) cache.clear();
    cache.set(hour, off);
  }
  return off;
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
