/**
 * A set of tariff schedules and the lookups the ledger needs: which schedule
 * is in force at an instant, where schedules start and end, and which rule and
 * rate apply to a line. Pure; loading from disk lives in tariff-load.ts.
 */
import { type Basis, type EnergySource } from './types.ts';
import { type Result, ok, fail } from '../util/result.ts';
import type { TariffRule, TariffScheduleFile } from './tariff-schema.ts';
import { type LocalDate, addDays, parseLocalDate, zonedMidnightMs } from './zoned-time.ts';

export interface TariffSchedule extends TariffScheduleFile {
  /** The first local day in force (validFrom). */
  readonly firstDay: LocalDate;
  /** The local day after the last day in force (validTo + 1); undefined when open-ended. */
  readonly endDay: LocalDate | undefined;
  /**
   * Local midnight starting validFrom, and after validTo (Infinity when open-ended), in the schedule's own
   * timeZone: for calendar questions about the schedule. A ledger cuts at the site's: scheduleBoundsMs.
   */
  readonly fromMs: number;
  readonly toMs: number;
  /** Where the schedule came from, for messages. */
  readonly file: string;
}

export interface TariffSet {
  /** One schedule per id (its winning version), sorted by validFrom. */
  readonly schedules: readonly TariffSchedule[];
}

export interface TariffSource {
  readonly file: string;
  readonly schedule: TariffScheduleFile;
  /** 0 = shipped schedules, 1 = operator overrides; a higher layer wins on the same id+version. */
  readonly layer: number;
}

function toSchedule(s: TariffScheduleFile, file: string): TariffSchedule {
  const last = s.validTo === undefined ? undefined : parseLocalDate(s.validTo)!;
  const firstDay = parseLocalDate(s.validFrom)!;
  const endDay = last && addDays(last, 1);
  return {
    ...s,
    file,
    firstDay,
    endDay,
    fromMs: zonedMidnightMs(firstDay, s.timeZone),
    toMs: endDay === undefined ? Infinity : zonedMidnightMs(endDay, s.timeZone),
  };
}

const boundsCache = new WeakMap<TariffSchedule, Map<string, { fromMs: number; toMs: number }>>();

/**
 * [fromMs, toMs) of a schedule at a site: a tariff's dates are calendar dates of the site, so it starts and
 * ends at the site's local midnight, the same instants that cut the site's tax periods (issue 17: until
 * 2024-03-01 Almaty was UTC+6 while Aqtobe and Oral were UTC+5).
 */
export function scheduleBoundsMs(s: TariffSchedule, timeZone: string): { fromMs: number; toMs: number } {
  let byZone = boundsCache.get(s);
  if (byZone === undefined) {
    byZone = new Map();
    boundsCache.set(s, byZone);
  }
  let b = byZone.get(timeZone);
  if (b === undefined) {
    b = {
      fromMs: zonedMidnightMs(s.firstDay, timeZone),
      toMs: s.endDay === undefined ? Infinity : zonedMidnightMs(s.endDay, timeZone),
    };
    byZone.set(timeZone, b);
  }
  return b;
}

/**
 * Merges schedules: per id the highest version wins; the same id+version in an
 * override layer replaces the shipped one. Two schedules starting on the same
 * instant are ambiguous and refused.
 */
export function buildTariffSet(sources: readonly TariffSource[]): Result<TariffSet> {
  const byId = new Map<string, TariffSource>();
  for (const src of sources) {
    const prev = byId.get(src.schedule.id);
    if (prev === undefined) {
      byId.set(src.schedule.id, src);
      continue;
    }
    const a = prev.schedule.version;
    const b = src.schedule.version;
    if (a === b && prev.layer === src.layer) {
      return fail(`${src.file}: id '${src.schedule.id}' version ${b} is also defined in ${prev.file}`);
    }
    if (b > a || (b === a && src.layer > prev.layer)) byId.set(src.schedule.id, src);
  }
  const schedules = [...byId.values()]
    .map((s) => toSchedule(s.schedule, s.file))
    .sort((x, y) => (x.validFrom < y.validFrom ? -1 : x.validFrom > y.validFrom ? 1 : 0));
  for (let i = 1; i < schedules.length; i++) {
    const [p, c] = [schedules[i - 1]!, schedules[i]!];
    if (p.validFrom === c.validFrom)
      return fail(`${c.file}: '${c.id}' starts on the same day as '${p.id}' (${p.file})`);
  }
  return ok({ schedules });
}

/** The schedule in force at an instant at a site in `timeZone`: among those covering it, the one that started last. */
export function scheduleAt(set: TariffSet, utcMs: number, timeZone: string): TariffSchedule | undefined {
  let found: TariffSchedule | undefined;
  for (const s of set.schedules) {
    const b = scheduleBoundsMs(s, timeZone);
    if (b.fromMs <= utcMs && utcMs < b.toMs) found = s;
  }
  return found;
}

/** Every instant where the schedule in force may change, at a site in `timeZone`. */
export function scheduleBoundariesMs(set: TariffSet, timeZone: string): number[] {
  const out: number[] = [];
  for (const s of set.schedules) {
    const b = scheduleBoundsMs(s, timeZone);
    out.push(b.fromMs);
    if (Number.isFinite(b.toMs)) out.push(b.toMs);
  }
  return out;
}

export interface AppliedRate {
  readonly rateTiynPerKwh: number;
  /** 'rule-id' or 'rule-id:band-id' or 'rule-id:price-missing'. */
  readonly rule: string;
}

function ruleRate(rule: TariffRule, priceTiynPerKwh: number | undefined): AppliedRate {
  if (rule.rateTiynPerKwh !== undefined) return { rateTiynPerKwh: rule.rateTiynPerKwh, rule: rule.id };
  const bands = rule.priceBands ?? [];
  if (priceTiynPerKwh === undefined) {
    // No average price known for the quarter: the highest band applies, and the line says so.
    const top = Math.max(...bands.map((b) => b.rateTiynPerKwh));
    return { rateTiynPerKwh: top, rule: `${rule.id}:price-missing` };
  }
  // The band with the highest start not above the price (a band starting at 0 always exists).
  let best = bands.find((b) => b.minPriceTiynPerKwh === 0)!;
  for (const b of bands) {
    if (b.minPriceTiynPerKwh <= priceTiynPerKwh && b.minPriceTiynPerKwh > best.minPriceTiynPerKwh) best = b;
  }
  return { rateTiynPerKwh: best.rateTiynPerKwh, rule: `${rule.id}:${best.id}` };
}

/**
 * The rate of a line. Metered lines: the rules listed for the energy source.
 * Substituted lines: the same, plus the schedule's unmetered rules under a
 * penalty-rate schedule. Where several apply, the highest rate wins (2023
 * wording); on a tie the last listed (unmetered rules come last).
 */
export function resolveRate(
  schedule: TariffSchedule,
  source: EnergySource,
  basis: Basis,
  priceTiynPerKwh: number | undefined,
): AppliedRate {
  const refs = [...schedule.sources[source]];
  if (basis === 'substituted' && schedule.unmetered.method === 'penalty-rate') refs.push(...schedule.unmetered.rules);
  let best: AppliedRate | undefined;
  for (const ref of refs) {
    const rule = schedule.rules.find((r) => r.id === ref)!;
    const applied = ruleRate(rule, priceTiynPerKwh);
    // On a tie the later listed wins, so a substituted line names the penalty rule.
    if (best === undefined || applied.rateTiynPerKwh >= best.rateTiynPerKwh) best = applied;
  }
  return best!;
}
