import { zonedMidnightMs } from '../fees/zoned-time.ts';

// One implementation of zone arithmetic: the fee engine's (pure, tested for the 2024 UTC+6 -> UTC+5 move).
export { isValidTimeZone, zoneOffsetMs } from '../fees/zoned-time.ts';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** A registry date: `YYYY-MM-DD` (local midnight in `timeZone`) or an ISO date-time with an explicit offset. */
export function parseRegistryDate(value: string, timeZone: string): number | undefined {
  const m = DATE_ONLY.exec(value);
  if (m) return zonedMidnightMs({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) }, timeZone);
  if (!DATE_TIME_WITH_ZONE.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
