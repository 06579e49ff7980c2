/**
 * Plain readonly data shapes of the fee engine. No behaviour lives here.
 * Units are in the names: Ms = Unix epoch milliseconds (UTC), Wh = watt-hours,
 * W = watts, Tiyn = 1/100 tenge, MilliTiyn = 1/1000 tiyn.
 */

export const ENERGY_SOURCES = ['grid', 'renewable', 'own-offgrid'] as const;
export type EnergySource = (typeof ENERGY_SOURCES)[number];

/** One meter reading. registerWh: integer cumulative import register in Wh. */
export interface Reading {
  readonly tsMs: number;
  readonly registerWh: number;
  readonly status: 'ok' | 'fault';
}

/** MQTT status topic message; 'offline' is the broker-published last will. */
export interface StatusEvent {
  readonly tsMs: number;
  readonly state: 'online' | 'offline';
}

export interface MeterFacts {
  readonly meterId: string;
  readonly siteId: string;
  readonly taxpayerBin: string;
  /** IANA zone of the site, e.g. 'Asia/Almaty'. */
  readonly timeZone: string;
  readonly reportingIntervalS: number;
  readonly commissionedMs: number;
  readonly decommissionedMs?: number;
  /** Sorted by fromMs; the first entry covers commissioning. */
  readonly sources: readonly { fromMs: number; source: EnergySource }[];
  /** Integer watts, sorted by fromMs; the first entry covers commissioning. */
  readonly maxLoad: readonly { fromMs: number; maxLoadW: number }[];
}

export type SubstitutionPolicyName = 'strict' | 'register-reconciled';

export interface SubstitutionPolicy {
  name: SubstitutionPolicyName;
  /** A gap longer than graceIntervals * reportingIntervalS is not metered. Default 3. */
  graceIntervals: number;
  /** Implied power above maxLoad * spikeTolerance is a spike. Default 1.1. */
  spikeTolerance: number;
}

export const DEFAULT_POLICY: SubstitutionPolicy = Object.freeze({
  name: 'strict',
  graceIntervals: 3,
  spikeTolerance: 1.1,
});

export type Basis = 'metered' | 'substituted';

/**
 * Why a line is not plainly metered.
 * Substituted: gap, last-will, fault-status, register-reset, spike,
 *   before-first-reading, after-last-reading, no-reading-yet, no-readings.
 * Metered under the register-reconciled policy: gap-reconciled, last-will-reconciled.
 */
export const LINE_REASONS = [
  'gap',
  'last-will',
  'fault-status',
  'register-reset',
  'spike',
  'before-first-reading',
  'after-last-reading',
  'no-reading-yet',
  'no-readings',
  'gap-reconciled',
  'last-will-reconciled',
] as const;
export type LineReason = (typeof LINE_REASONS)[number];

export type RoundingRule = 'half-up-tiyn' | 'half-up-tenge';

export interface LedgerLine {
  readonly meterId: string;
  readonly siteId: string;
  readonly taxpayerBin: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly basis: Basis;
  readonly reason?: LineReason;
  readonly energySource: EnergySource;
  /** Energy the fee is charged on, integer Wh. */
  readonly energyWh: number;
  /** What the register says for this span, when known and plausible (>= 0, not a spike); else null. */
  readonly registerDeltaWh: number | null;
  readonly maxLoadW: number;
  readonly rateTiynPerKwh: number;
  /** Exact: energyWh * rateTiynPerKwh (1 Wh at 1 tiyn/kWh = 1 milli-tiyn). */
  readonly feeMilliTiyn: number;
  readonly tariffId: string;
  readonly tariffVersion: number;
  /** Id of the tariff rule that set the rate, e.g. 'grid' or 'grid-price-scale:p24-plus'. */
  readonly rule: string;
  /** Tax period of the line in the site's time zone, e.g. '2025-Q3'. */
  readonly taxQuarter: string;
  /** How the declared line this line falls into is rounded (from the tariff schedule). */
  readonly roundingRule: RoundingRule;
}

/** Average electricity price a site paid over a quarter (2023 price-scale schedules). */
export interface QuarterPrice {
  readonly siteId: string;
  /** e.g. '2023-Q2' */
  readonly quarter: string;
  readonly averagePriceTiynPerKwh: number;
}
