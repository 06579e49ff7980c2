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
 * ## Aggregate contract for the store (per meter, per UTC hour; `HourSummary`)
 *   hourStartMs      bucket start (GROUP BY time(1h))
 *   count            count(registerWh)
 *   firstTsMs, firstRegisterWh, lastTsMs, lastRegisterWh
 *                    the first/last READING's own timestamp and register. InfluxQL
 *                    returns the bucket start as time for selectors under GROUP BY
 *                    time, so store the timestamp as an integer field too (e.g.
 *                    `tsMs`) and take first(tsMs)/last(tsMs).
 *   faultCount       sum(fault) with fault stored as 0/1 integer field
 *   maxGapMs         max(elapsed(registerWh, 1ms)) via subquery
 *   minStepWh        min(difference(registerWh)) via subquery
 *   maxStepPowerW    max(derivative(registerWh, 1h)) via subquery (Wh per hour = W)
 *   The subquery values may include the step from the previous hour's last
 *   reading (elapsed/difference/derivative run across bucket edges): that only
 *   overstates gap/power and understates step, i.e. sends more hours to the
 *   raw path, never fewer. Hours without readings are simply absent.
 *
 * Protocol: 1. query HourSummary[] for [fromMs - margin, toMs + margin) where the
 * margin reaches the last reading at/before fromMs and the first at/after toMs;
 * 2. hours = rawHoursNeeded(ctx, summaries); 3. fetch raw readings of exactly
 * those hours; 4. computeMeterLedgerFromHours({ ...ctx, hours: summaries, rawReadings }).
 * A raw hour whose reading count differs from its summary is refused.
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
  Result,
} from './types.ts';
export { DEFAULT_POLICY, ENERGY_SOURCES } from './types.ts';

// Ledger of one meter.
export type { LedgerContext, MeterLedgerInput, MeterLedger } from './ledger.ts';
export { computeMeterLedger } from './ledger.ts';
export type { HourSummary, HourlyLedgerInput } from './hourly.ts';
export { computeMeterLedgerFromHours, rawHoursNeeded, HOUR_MS } from './hourly.ts';
export { substitutedWh, interpolateRegisterWh } from './energy.ts';

// Cost of outages.
export type { OutageCost } from './outage-cost.ts';
export { outageCost, outageCostFromHours } from './outage-cost.ts';

// Roll-ups and declaration.
export type { Totals, KeyedTotals, LedgerSummary } from './summary.ts';
export { summarize, totalsOf, rollUp } from './summary.ts';
export type { DeclaredLine, DeclarationOptions } from './declaration.ts';
export { declaredLines, declaredTotalTiyn } from './declaration.ts';

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
export { feeMilliTiyn, roundMilliTiynToTiyn, formatTiyn, formatMilliTiyn, formatWhAsKwh } from './money.ts';
