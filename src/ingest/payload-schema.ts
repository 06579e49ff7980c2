import { z } from 'zod';

// ISO-8601 with a date, a time and an explicit zone: a local time without offset is ambiguous for billing.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$/;
const MIN_TS_MS = Date.UTC(2000, 0, 1);
const MAX_TS_MS = Date.UTC(2100, 0, 1);

const tsSchema = z.union([
  z.string().regex(ISO_WITH_ZONE, 'ts must be ISO-8601 with a zone, e.g. 2025-07-01T00:00:00Z, or epoch milliseconds')
    .transform((s, ctx) => {
      const ms = Date.parse(s);
      if (!Number.isFinite(ms)) {
        ctx.addIssue({ code: 'custom', message: `ts "${s}" is not a real date` });
        return z.NEVER;
      }
      return ms;
    }),
  z.number().int('ts in epoch milliseconds must be an integer'),
]).pipe(z.number().min(MIN_TS_MS, 'ts is before the year 2000 (seconds instead of milliseconds?)').max(MAX_TS_MS, 'ts is after the year 2100'));

export const readingPayloadSchema = z.strictObject({
  ts: tsSchema,
  /** Cumulative import register in kWh. */
  kwh: z.number().finite().min(0, 'kwh must be >= 0').max(1e12, 'kwh is implausibly large (over 10^12)'),
  kw: z.number().finite().min(0, 'kw must be >= 0').max(1e7).optional(),
  status: z.enum(['ok', 'fault']).default('ok'),
});
export type ReadingPayload = z.infer<typeof readingPayloadSchema>;

export const statusPayloadSchema = z.enum(['online', 'offline']);
