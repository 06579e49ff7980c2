/** Parse an ISO-8601 date or date-time into epoch ms; a bare date means midnight in the given IANA zone. */
export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Offset (ms) of `timeZone` from UTC at instant `utcMs`. */
export function zoneOffsetMs(utcMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** Epoch ms of local wall-clock time (y, m 1-12, d, h) in `timeZone`. */
export function zonedToUtcMs(y: number, m: number, d: number, timeZone: string, h = 0): number {
  const guess = Date.UTC(y, m - 1, d, h);
  let utc = guess - zoneOffsetMs(guess, timeZone);
  // second pass settles instants next to an offset change
  utc = guess - zoneOffsetMs(utc, timeZone);
  return utc;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** A registry date: `YYYY-MM-DD` (local midnight in `timeZone`) or an ISO date-time with an explicit offset. */
export function parseRegistryDate(value: string, timeZone: string): number | undefined {
  const m = DATE_ONLY.exec(value);
  if (m) return zonedToUtcMs(Number(m[1]), Number(m[2]), Number(m[3]), timeZone);
  if (!DATE_TIME_WITH_ZONE.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
