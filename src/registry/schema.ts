import { z } from 'zod';
import { checkBin } from './bin.ts';
import { isValidTimeZone } from '../util/time.ts';

import { ENERGY_SOURCES } from '../fees/types.ts';
import { devicesFileSchema } from '../formats/device-schema.ts';

export { ENERGY_SOURCES, type EnergySource } from '../fees/types.ts';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, "-" or "_", at most 64 characters');
const dateString = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/,
    'a date YYYY-MM-DD (local midnight in the site time zone) or an ISO date-time with offset',
  );

export const binSchema = z.string().superRefine((v, ctx) => {
  const r = checkBin(v);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: `invalid BIN "${v}": ${r.reason}` });
});

export const taxpayerSchema = z.strictObject({
  bin: binSchema,
  name: z.string().min(1),
  licenceSubtype: z.enum(['I', 'II']),
});

export const siteSchema = z.strictObject({
  id,
  name: z.string().min(1),
  taxpayer: z.string(),
  /** 2021 wording: hosting-only data centres were not payers. */
  role: z.enum(['miner', 'hosting']).default('miner'),
  timeZone: z.string().refine(isValidTimeZone, 'an IANA time zone such as Asia/Almaty').default('Asia/Almaty'),
  monthlyQuotaKwh: z.number().int().positive().optional(),
  /**
   * Expected share of the supplier's invoice not on the mining meters (cooling, offices, transformer losses),
   * percent of the invoiced kWh (issue 24). Default 0..15 (docs/fees.md "The supplier's invoice").
   */
  reconciliationBand: z
    .strictObject({ minPct: z.number().min(0).max(100), maxPct: z.number().min(0).max(100) })
    .refine((b) => b.minPct <= b.maxPct, 'minPct must not be above maxPct')
    .optional(),
});

const sourcePeriod = z.strictObject({ from: dateString, source: z.enum(ENERGY_SOURCES) });
const maxLoadPeriod = z.strictObject({ from: dateString, kw: z.number().positive().max(1_000_000) });

export const meterSchema = z.strictObject({
  id,
  site: z.string(),
  reportingIntervalS: z.number().int().min(1).max(86_400).default(60),
  commissionedAt: dateString,
  decommissionedAt: dateString.optional(),
  /** Energy source history; the first entry must start on or before commissioning. */
  sources: z.array(sourcePeriod).min(1),
  /**
   * BIN of the miner whose rigs the meter measures, when not the site's operator (a hosted subtype II miner
   * pays its own fee). Default: the taxpayer its rigs name, else the site's.
   */
  taxpayer: z.string().optional(),
  /** Declared max load: a number (kW, from commissioning) or a dated history. Only for meters without rigs. */
  maxLoadKw: z.union([z.number().positive().max(1_000_000), z.array(maxLoadPeriod).min(1)]).optional(),
});

export const rigSchema = z.strictObject({
  serial: z.string().min(1).max(64),
  model: z.string().min(1),
  ratedPowerW: z.number().int().positive().max(50_000),
  meter: z.string(),
  /** BIN of the rig's owner; every rig behind one meter must belong to the meter's taxpayer. */
  taxpayer: z.string().optional(),
  installedAt: dateString.optional(),
  removedAt: dateString.optional(),
});

/** A site's average electricity price over one quarter (the 2023 price-scale rates), in integer tiyn per kWh. */
export const priceSchema = z.strictObject({
  site: z.string(),
  quarter: z.string().regex(/^\d{4}-Q[1-4]$/, 'a quarter such as 2023-Q2'),
  averagePriceTiynPerKwh: z.number().int().positive().max(100_000_000),
  /** Where the figure comes from (invoice numbers, the supplier's statement). */
  source: z.string().min(1).optional(),
});

export const registryFileSchemas = {
  taxpayers: z.strictObject({ taxpayers: z.array(taxpayerSchema).min(1) }),
  sites: z.strictObject({ sites: z.array(siteSchema).min(1) }),
  meters: z.strictObject({ meters: z.array(meterSchema).min(1) }),
  rigs: z.strictObject({ rigs: z.array(rigSchema) }),
  prices: z.strictObject({ prices: z.array(priceSchema) }),
  /** Optional: devices in vendor formats (Tasmota, Shelly, mapped gateways) and the meters they feed. */
  devices: devicesFileSchema,
} as const;

export type TaxpayerInput = z.infer<typeof taxpayerSchema>;
export type SiteInput = z.infer<typeof siteSchema>;
export type MeterInput = z.infer<typeof meterSchema>;
export type RigInput = z.infer<typeof rigSchema>;
export type PriceInput = z.infer<typeof priceSchema>;
