/** The range a meter detail page asks for, resolved in the site's zone and checked. Pure. */
import type { Result } from '../../util/result.ts';
import { parseLocalDate } from '../../fees/zoned-time.ts';
import { parseRegistryDate } from '../../util/time.ts';
import { MAX_DETAIL_RANGE_DAYS } from './query-schemas.ts';

export const DEFAULT_DETAIL_RANGE_MS = 24 * 3_600_000;
const DAY_MS = 86_400_000;

/** `from`/`to`: 'YYYY-MM-DD' (local midnight in `timeZone`) or a date-time with offset; neither = the last 24 hours. */
export function resolveDetailRange(
  q: { from?: string | undefined; to?: string | undefined },
  timeZone: string,
  nowMs: number,
): Result<{ fromMs: number; toMs: number }> {
  if (q.from === undefined || q.to === undefined)
    return { ok: true, value: { fromMs: nowMs - DEFAULT_DETAIL_RANGE_MS, toMs: nowMs } };
  // The calendar day must exist (Date.UTC would roll 2025-02-31 over into March).
  const at = (text: string) => (parseLocalDate(text.slice(0, 10)) ? parseRegistryDate(text, timeZone) : undefined);
  const fromMs = at(q.from);
  const toMs = at(q.to);
  if (fromMs === undefined || Number.isNaN(fromMs))
    return { ok: false, reason: `from: '${q.from}' is not a valid date` };
  if (toMs === undefined || Number.isNaN(toMs)) return { ok: false, reason: `to: '${q.to}' is not a valid date` };
  if (fromMs >= toMs) return { ok: false, reason: `from must be before to (got ${q.from} .. ${q.to})` };
  if (fromMs >= nowMs) return { ok: false, reason: `from: ${q.from} is in the future` };
  if (toMs - fromMs > MAX_DETAIL_RANGE_DAYS * DAY_MS)
    return { ok: false, reason: `the range is longer than ${MAX_DETAIL_RANGE_DAYS} days` };
  return { ok: true, value: { fromMs, toMs } };
}
