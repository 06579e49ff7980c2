/**
 * A set of tariff schedules and the lookups the ledger needs: which schedule
 * is in force at an instant, where schedules start and end, and which rule and
 * rate apply to a line. Pure; loading from disk lives in tariff-load.ts.
 */
import { type Basis, type EnergySource, type Result, ok, fail } from './types.ts';
import type { TariffRule, TariffScheduleFile } from './tariff-schema.ts';
import { addDays, parseLocalDate, zonedMidnightMs } from './zoned-time.ts';

export interface TariffSchedule extends TariffScheduleFile {
  /** Local midnight starting validFrom. */
  readonly fromMs: number;
  /** Local midnight after validTo; Infinity when open-ended. */
  readonly toMs: number;
  /** Where the schedule came from, for messages. */
  readonly file: string;
}

export interface TariffSet {
  /** One schedule per id (its winning version), sorted by fromMs. */
  readonly schedules: readonly TariffSchedule[];
}

export interface TariffSource {
  readonly file: string;
  readonly schedule: TariffScheduleFile;
  /** 0 = shipped schedules, 1 = operator overrides; a higher layer wins on the same id+version. */
  readonly layer: number;
}

function toSchedule(s: TariffScheduleFile, file: string): TariffSchedule {
  const from = parseLocalDate(s.validFrom)!;
  const last = s.validTo === undefined ? undefined : parseLocalDate(s.validTo)!;
  return {
    ...s,
    file,
    fromMs: zonedMidnightMs(from, s.timeZone),
    toMs: last === undefined ? Infinity : zonedMidnightMs(addDays(last, 1), s.timeZone),
  };
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
  const schedules = [...byId.values()].map((s) => toSchedule(s.schedule, s.file)).sort((x, y) => x.fromMs - y.fromMs);
  for (let i = 1; i < schedules.length; i++) {
    const [p, c] = [schedules[i - 1]!, schedules[i]!];
    if (p.fromMs === c.fromMs) return fail(`${c.file}: '${c.id}' starts on the same day as '${p.id}' (${p.file})`);
  }
  return ok({ schedules });
}

/** The schedule in force at an instant: among those covering it, the one that started last. */
export function scheduleAt(set: TariffSet, utcMs: number): TariffSchedule | undefined {
  let found: TariffSchedule | undefined;
  for (const s of set.schedules) {
    if (s.fromMs <= utcMs && utcMs < s.toMs) found = s;
  }
  return found;
}

/** Every instant where the schedule in force may change. */
export function scheduleBoundariesMs(set: TariffSet): number[] {
  const out: number[] = [];
  for (const s of set.schedules) {
    out.push(s.fromMs);
    if (Number.isFinite(s.toMs)) out.push(s.toMs);
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
