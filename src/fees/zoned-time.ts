/**
 * Wall-clock <-> UTC conversion for IANA zones with the built-in Intl API.
 * Never a fixed offset: Asia/Almaty moved from UTC+6 to UTC+5 on 2024-03-01.
 */

export interface LocalDate {
  readonly year: number;
  /** 1..12 */
  readonly month: number;
  /** 1..31 */
  readonly day: number;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when the runtime knows the IANA zone. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Wall-clock fields of an instant in a zone, as if they were UTC (ms). */
function wallMs(utcMs: number, timeZone: string): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(utcMs));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
}

/** Offset straight from Intl (a few microseconds a call: the ledger asks it for every bucket it places). */
function intlOffsetMs(wholeSecondMs: number, timeZone: string): number {
  return wallMs(wholeSecondMs, timeZone) - wholeSecondMs;
}

const HOUR_MS = 3_600_000;
/** zone -> UTC hour index -> the zone's offset through that whole hour, or NaN when it changes inside it. */
const hourOffsets = new Map<string, Map<number, number>>();
const MAX_CACHED_HOURS = 500_000;

/**
 * Offset of the zone from UTC at an instant, in ms (Asia/Almaty in 2025: +18_000_000). Cached per UTC hour:
 * when the offset at the hour's first and last second agree, no transition lies inside it (zones change
 * offset at most once in an hour), so every instant of that hour has it; otherwise Intl answers each time.
 */
export function zoneOffsetMs(utcMs: number, timeZone: string): number {
  const whole = Math.floor(utcMs / 1000) * 1000;
  const hour = Math.floor(whole / HOUR_MS);
  let byHour = hourOffsets.get(timeZone);
  if (byHour === undefined) hourOffsets.set(timeZone, (byHour = new Map()));
  let offset = byHour.get(hour);
  if (offset === undefined) {
    const first = intlOffsetMs(hour * HOUR_MS, timeZone);
    const last = intlOffsetMs(hour * HOUR_MS + HOUR_MS - 1000, timeZone);
    offset = first === last ? first : NaN;
    if (byHour.size >= MAX_CACHED_HOURS) byHour.clear();
    byHour.set(hour, offset);
  }
  return Number.isNaN(offset) ? intlOffsetMs(whole, timeZone) : offset;
}

/** The calendar date of an instant in a zone. */
export function localDateOf(utcMs: number, timeZone: string): LocalDate {
  const d = new Date(utcMs + zoneOffsetMs(utcMs, timeZone));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/**
 * The first instant of a local calendar day: local midnight. When midnight
 * falls in a DST gap the day starts at the transition; when it occurs twice
 * the earlier one is taken.
 */
export function zonedMidnightMs(date: LocalDate, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day);
  const offsets = [wall - DAY_MS, wall, wall + DAY_MS].map((t) => zoneOffsetMs(t, timeZone));
  const candidates = [...new Set(offsets)].map((o) => wall - o);
  const exact = candidates.filter((c) => c + zoneOffsetMs(c, timeZone) === wall);
  if (exact.length > 0) return Math.min(...exact);
  // Gap: wall time does not exist; the day begins where the earlier offset ends.
  return wall - (offsets[0] as number);
}

/** Adds whole calendar days/months to a local date (proleptic Gregorian). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day) + days * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function addMonths(date: LocalDate, months: number): LocalDate {
  const index = date.year * 12 + (date.month - 1) + months;
  return { year: Math.floor(index / 12), month: (index % 12) + 1, day: date.day };
}

export function formatLocalDate(date: LocalDate): string {
  const pad = (n: number, w: number): string => String(n).padStart(w, '0');
  return `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}`;
}

/** Parses 'YYYY-MM-DD' strictly (the date must exist). */
export function parseLocalDate(text: string): LocalDate | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m === null) return undefined;
  const date = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day));
  if (d.getUTCFullYear() !== date.year || d.getUTCMonth() + 1 !== date.month || d.getUTCDate() !== date.day) {
    return undefined;
  }
  return date;
}
