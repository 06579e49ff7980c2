/**
 * Tax periods: quarters (the legal tax period), months and custom day ranges,
 * turned into [fromMs, toMs) between local midnights of the site's zone.
 */
import { type Result, ok, fail } from '../util/result.ts';
import {
  type LocalDate,
  addDays,
  addMonths,
  formatLocalDate,
  localDateOf,
  parseLocalDate,
  zonedMidnightMs,
} from './zoned-time.ts';

export type Period =
  | { readonly kind: 'quarter'; readonly year: number; readonly quarter: 1 | 2 | 3 | 4 }
  | { readonly kind: 'month'; readonly year: number; readonly month: number }
  /** Whole local days, first and last day included. */
  | { readonly kind: 'range'; readonly firstDay: LocalDate; readonly lastDay: LocalDate };

export interface PeriodBounds {
  readonly fromMs: number;
  readonly toMs: number;
}

/** Parses '2025-Q3', '2025-07' or '2025-07-01..2025-08-15' (both days included). */
export function parsePeriod(text: string): Result<Period> {
  const q = /^(\d{4})-Q([1-4])$/.exec(text);
  if (q) return ok({ kind: 'quarter', year: Number(q[1]), quarter: Number(q[2]) as 1 | 2 | 3 | 4 });
  const m = /^(\d{4})-(\d{2})$/.exec(text);
  if (m) {
    const month = Number(m[2]);
    if (month < 1 || month > 12) return fail(`period '${text}': month must be 01..12`);
    return ok({ kind: 'month', year: Number(m[1]), month });
  }
  const r = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(text);
  if (r) {
    const firstDay = parseLocalDate(r[1] as string);
    const lastDay = parseLocalDate(r[2] as string);
    if (!firstDay || !lastDay) return fail(`period '${text}': not a valid calendar date`);
    if (formatLocalDate(lastDay) < formatLocalDate(firstDay)) {
      return fail(`period '${text}': last day is before first day`);
    }
    return ok({ kind: 'range', firstDay, lastDay });
  }
  return fail(`period '${text}': expected YYYY-Qn, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD`);
}

export function formatPeriod(period: Period): string {
  switch (period.kind) {
    case 'quarter':
      return `${period.year}-Q${period.quarter}`;
    case 'month':
      return `${period.year}-${String(period.month).padStart(2, '0')}`;
    case 'range':
      return `${formatLocalDate(period.firstDay)}..${formatLocalDate(period.lastDay)}`;
  }
}

/** First day and the day after the last day, as local dates. */
function dayBounds(period: Period): { first: LocalDate; end: LocalDate } {
  switch (period.kind) {
    case 'quarter': {
      const first = { year: period.year, month: (period.quarter - 1) * 3 + 1, day: 1 };
      return { first, end: addMonths(first, 3) };
    }
    case 'month': {
      const first = { year: period.year, month: period.month, day: 1 };
      return { first, end: addMonths(first, 1) };
    }
    case 'range':
      return { first: period.firstDay, end: addDays(period.lastDay, 1) };
  }
}

/** [fromMs, toMs): local midnight of the first day to local midnight after the last day. */
export function periodBounds(period: Period, timeZone: string): PeriodBounds {
  const { first, end } = dayBounds(period);
  return { fromMs: zonedMidnightMs(first, timeZone), toMs: zonedMidnightMs(end, timeZone) };
}

/** The quarter (label and bounds) containing an instant, in a zone. */
export function quarterAt(utcMs: number, timeZone: string): { label: string; fromMs: number; toMs: number } {
  const d = localDateOf(utcMs, timeZone);
  const quarter = (Math.floor((d.month - 1) / 3) + 1) as 1 | 2 | 3 | 4;
  const period: Period = { kind: 'quarter', year: d.year, quarter };
  return { label: formatPeriod(period), ...periodBounds(period, timeZone) };
}

/**
 * Declaration is due by the 15th and payment by the 25th of the second month
 * after the quarter (Q3 2025: declare by 2025-11-15, pay by 2025-11-25).
 */
export function quarterDueDates(year: number, quarter: 1 | 2 | 3 | 4): { declareBy: string; payBy: string } {
  const due = addMonths({ year, month: quarter * 3, day: 1 }, 2);
  return {
    declareBy: formatLocalDate({ ...due, day: 15 }),
    payBy: formatLocalDate({ ...due, day: 25 }),
  };
}
