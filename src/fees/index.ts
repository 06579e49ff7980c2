/**
 * Public API of the fee engine: a pure core (no I/O, clock or logger; plain
 * readonly data in, plain data out) plus loadTariffs, the one function that
 * reads files. Rules in prose: docs/fees.md. Tariff file format: tariffs/README.md.
 *
 * ## Two ways in, one ledger
 * (a) computeMeterLedger(input) on raw readings (any order, duplicates allowed).
 * (b) computeMeterLedgerFromHours(input) on per-hour aggregates plus the raw
 *     readings of the few hours that need them. It gives the SAME ledger as (a)
 *     on the readings the hours were aggregated from (tested by property).
 *
 * Both classify only consecutive-reading pairs, so an hour whose internal
 * pairs are all provably metered can be replaced by its first and last
 * readings: metered energy telescopes (last - first).
 *
 * ## Bucket contract (`BucketSummary`, one meter, one bucket of whole UTC hours)
 *   startMs      bucket start (an hour, or a UTC day for day buckets)
 *   count            readings in the bucket
 *   firstTsMs, firstRegisterWh, lastTsMs, lastRegisterWh   first/last reading's own time and register
 *   faultCount       readings with status fault
 *   maxGapMs, minStepWh (<= 0), maxStepPowerW (>= 0)
 *                    over consecutive readings inside the bucket (0 with one reading).
 *                    Values that also include the step from the previous bucket only
 *                    overstate gap/power and understate step: more raw hours, same ledger.
 * The store keeps these current as rollups (src/rollup: reading_1h from raw readings,
 * reading_1d merged from the hours; summarizeHours / mergeBuckets here).
 *
 * Protocol (src/ledger/store-read.ts): 1. day buckets for the period (plus a day each
 * side); 2. rawHoursNeeded(ctx, days) names the days to open: read their hour buckets
 * and expandFlaggedDays; 3. rawHoursNeeded(ctx, buckets) names the hours to open:
 * read their raw readings; 4. computeMeterLedgerFromHours({ ...ctx, hours: buckets,
 * rawReadings }). A raw hour whose reading count differs from its bucket is refused.
 * Same-timestamp duplicates: the store overwrites (last write wins); the raw
 * path keeps the largest register. They agree on stored data, which has none.
 */

export type {
  EnergySource,
  Reading,
  StatusEvent,
  MeterFacts,
  SubstitutionPolicyName,
  SubstitutionPolicy,
  Basis,
  LineReason,
  RoundingRule,
  LedgerLine,
  QuarterPrice,
} from './types.ts';
export { DEFAULT_POLICY, ENERGY_SOURCES, LINE_REASONS } from './types.ts';

// Ledger of one meter.
export type { LedgerContext, MeterLedgerInput, MeterLedger } from './ledger.ts';
export { computeMeterLedger } from './ledger.ts';
export type { BucketSummary, HourlyLedgerInput } from './hourly.ts';
export { computeMeterLedgerFromHours, rawHoursNeeded, HOUR_MS, ROLLUP_MISMATCH } from './hourly.ts';
export { summarizeHours, mergeBuckets, daysFromHours, expandFlaggedDays, DAY_MS } from './bucket-summary.ts';
export { substitutedWh, interpolateRegisterWh } from './energy.ts';

// Cost of outages.
export type { OutageCost } from './outage-cost.ts';
export { outageCost, outageCostFromHours, ledgerAndOutageFromHours } from './outage-cost.ts';

// Roll-ups and declaration.
export type { Totals, KeyedTotals, LedgerSummary, TaxpayerSiteTotals } from './summary.ts';
export { summarize, totalsOf, rollUp } from './summary.ts';
export type { DeclaredLine, DeclarationOptions, QuarterDueDates } from './declaration.ts';
export { declaredLines, declaredTotalTiyn, quarterDueDatesOf } from './declaration.ts';

// Tariffs.
export type { TariffSet, TariffSchedule, TariffSource, AppliedRate } from './tariff.ts';
export { buildTariffSet, scheduleAt, resolveRate } from './tariff.ts';
export type { TariffScheduleFile } from './tariff-schema.ts';
export { parseTariffSchedule } from './tariff-schema.ts';
export { loadTariffs } from './tariff-load.ts';

// Periods and time zones.
export type { Period, PeriodBounds } from './period.ts';
export { parsePeriod, formatPeriod, periodBounds, quarterAt, quarterDueDates } from './period.ts';
export type { LocalDate } from './zoned-time.ts';
export { zonedMidnightMs, localDateOf, zoneOffsetMs, isValidTimeZone } from './zoned-time.ts';

// Money.
export {
  feeMilliTiyn,
  roundMilliTiynToTiyn,
  roundingUnitMilliTiyn,
  formatTiyn,
  formatMilliTiyn,
  formatWhAsKwh,
} from './money.ts';
