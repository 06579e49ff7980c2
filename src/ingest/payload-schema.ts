import { z } from 'zod';

// ISO-8601 with a date, a time and an explicit zone: a local time without offset is ambiguous for billing.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$/;
const MIN_TS_MS = Date.UTC(2000, 0, 1);
const MAX_TS_MS = Date.UTC(2100, 0, 1);

/** ts: ISO-8601 string with a zone, or integer epoch milliseconds, within 2000..2100. */
export const tsSchema = z.unknown().transform((v, ctx): number => {
  const fail = (message: string) => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  let ms: number;
  if (typeof v === 'string') {
    if (!ISO_WITH_ZONE.test(v))
      return fail(
        `ts "${v.slice(0, 40)}" must be ISO-8601 with a zone (e.g. 2025-07-01T05:00:00+05:00 or ...Z) or epoch milliseconds`,
      );
    ms = Date.parse(v);
    if (!Number.isFinite(ms)) return fail(`ts "${v.slice(0, 40)}" is not a real date`);
  } else if (typeof v === 'number') {
    if (!Number.isInteger(v)) return fail('ts in epoch milliseconds must be an integer');
    ms = v;
  } else {
    return fail(
      v === undefined ? 'ts is required' : `ts must be a string or a number, got ${v === null ? 'null' : typeof v}`,
    );
  }
  if (ms < MIN_TS_MS) return fail('ts is before the year 2000 (epoch seconds instead of milliseconds?)');
  if (ms > MAX_TS_MS) return fail('ts is after the year 2100');
  return ms;
});

export const readingPayloadSchema = z.strictObject({
  ts: tsSchema,
  /** Cumulative import register in kWh. */
  kwh: z.number().finite().min(0, 'kwh must be >= 0').max(1e12, 'kwh is implausibly large (over 10^12)'),
  kw: z.number().finite().min(0, 'kw must be >= 0').max(1e7).optional(),
  status: z.enum(['ok', 'fault']).default('ok'),
});
export type ReadingPayload = z.infer<typeof readingPayloadSchema>;

/**
 * meters/{id}/status: plain `online` / `offline` (any case), or JSON with its own time so a gateway can forward
 * an outage after the fact: {"state":"offline","ts":"2025-07-01T14:00:00+05:00"} (ts as for readings).
 */
export const statusObjectSchema = z.strictObject({
  state: z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(['online', 'offline'])),
  ts: tsSchema.optional(),
});
