import { z } from 'zod';

// ISO-8601 with a date, a time and an explicit zone: a local time without offset is ambiguous for billing.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$/;
const MIN_TS_MS = Date.UTC(2000, 0, 1);
const MAX_TS_MS = Date.UTC(2100, 0, 1);
const MAX_KWH = 1e12;
const MAX_KW = 1e7;

/** Why a ts is refused, or undefined when it is fine (no closure per parse: this runs for every reading). */
function tsProblem(v: unknown): string | undefined {
  if (typeof v === 'string') {
    if (!ISO_WITH_ZONE.test(v))
      return `ts "${v.slice(0, 40)}" must be ISO-8601 with a zone (e.g. 2025-07-01T05:00:00+05:00 or ...Z) or epoch milliseconds`;
    if (!Number.isFinite(Date.parse(v))) return `ts "${v.slice(0, 40)}" is not a real date`;
  } else if (typeof v === 'number') {
    if (!Number.isInteger(v)) return 'ts in epoch milliseconds must be an integer';
  } else {
    return v === undefined
      ? 'ts is required'
      : `ts must be a string or a number, got ${v === null ? 'null' : typeof v}`;
  }
  const ms = typeof v === 'string' ? Date.parse(v) : v;
  if (ms < MIN_TS_MS) return 'ts is before the year 2000 (epoch seconds instead of milliseconds?)';
  if (ms > MAX_TS_MS) return 'ts is after the year 2100';
  return undefined;
}

/** ts: ISO-8601 string with a zone, or integer epoch milliseconds, within 2000..2100. */
export const tsSchema = z.unknown().transform((v, ctx): number => {
  const message = tsProblem(v);
  if (message === undefined) return typeof v === 'string' ? Date.parse(v) : (v as number);
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
});

export const readingPayloadSchema = z.strictObject({
  ts: tsSchema,
  /** Cumulative import register in kWh. */
  kwh: z.number().finite().min(0, 'kwh must be >= 0').max(MAX_KWH, 'kwh is implausibly large (over 10^12)'),
  kw: z.number().finite().min(0, 'kw must be >= 0').max(MAX_KW).optional(),
  status: z.enum(['ok', 'fault']).default('ok'),
});
export type ReadingPayload = z.infer<typeof readingPayloadSchema>;

const inRange = (v: unknown, max: number): v is number => typeof v === 'number' && v >= 0 && v <= max;

/**
 * readingPayloadSchema's answer for the shape nearly every meter sends, without zod's machinery: ts as integer
 * epoch ms, kwh, and optionally kw and status, nothing else. Anything else (an ISO ts, a value out of range, an
 * unknown key, a wrong type) gives undefined and readingPayloadSchema decides and explains. Issue 27: the schema
 * cost 0.3-1.3 us per reading in the service, where zod's generic parse is megamorphic (the registry's and
 * config's schemas share it); this costs about 0.05. It accepts only what the schema accepts, with the same
 * result: test/unit/ingest/plain-reading.test.ts checks both on every combination of edge values.
 */
export function plainReading(item: Readonly<Record<string, unknown>>): ReadingPayload | undefined {
  for (const k in item) if (k !== 'ts' && k !== 'kwh' && k !== 'kw' && k !== 'status') return undefined;
  const { ts, kwh, kw, status } = item;
  if (typeof ts !== 'number' || !Number.isInteger(ts) || ts < MIN_TS_MS || ts > MAX_TS_MS) return undefined;
  if (!inRange(kwh, MAX_KWH)) return undefined;
  if (kw !== undefined && !inRange(kw, MAX_KW)) return undefined;
  if (status !== undefined && status !== 'ok' && status !== 'fault') return undefined;
  const out: ReadingPayload = { ts, kwh, status: status ?? 'ok' };
  if (kw !== undefined) out.kw = kw;
  return out;
}

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
