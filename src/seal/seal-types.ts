/** A seal as stored (state files and, its header, InfluxDB): see canonical.ts for what the digest covers. */
import { z } from 'zod';
import { KzmError } from '../util/errors.ts';

const hex64 = z.string().regex(/^[a-f0-9]{64}$/);
const decimal = z.string().regex(/^-?\d+$/);

export const meterSealSchema = z.strictObject({
  meter: z.string().min(1),
  readings: z.number().int().min(0),
  statuses: z.number().int().min(0),
  digest: hex64,
  sums: z.strictObject({
    ts: decimal,
    wh: decimal,
    tsWh: decimal,
    fault: decimal,
    tsFault: decimal,
    sTs: decimal,
    sTsOnline: decimal,
  }),
});

export const sealSchema = z.strictObject({
  format: z.literal('kzmeter-seal/1'),
  site: z.string().min(1),
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  zone: z.string().min(1),
  fromMs: z.number().int(),
  toMs: z.number().int(),
  version: z.number().int().min(1),
  prev: hex64.nullable(),
  amends: hex64.nullable(),
  sealedAtMs: z.number().int(),
  meters: z.array(meterSealSchema),
  readings: z.number().int().min(0),
  statuses: z.number().int().min(0),
  digest: hex64,
  keyId: hex64,
  signature: z.string().min(1),
  /** An amendment: what changed against the version it amends (informative; recomputable from both seals' sums). */
  change: z
    .strictObject({
      added: z.number().int().min(0),
      changed: z.number().int().min(0),
      removed: z.number().int().min(0),
      first: z.strictObject({ meter: z.string(), tsMs: z.number().int().optional(), kind: z.string() }).optional(),
    })
    .optional(),
});

export type Seal = z.infer<typeof sealSchema>;

/** A seal's state file is damaged (never silently replaced) or a seal could not be made. */
export class SealError extends KzmError {
  constructor(message: string, code = 'seal-invalid') {
    super(message, { code });
  }
}
