/**
 * The tariff schedule file format (YAML, one schedule per file), validated by
 * zod. Parsing is pure: text in, schedule or an error naming file, entry and
 * field out. See tariffs/README.md for the format in prose.
 */
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { ENERGY_SOURCES } from './types.ts';
import { type Result, ok, fail } from '../util/result.ts';
import { isValidTimeZone, parseLocalDate } from './zoned-time.ts';

const idSchema = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');
const dateSchema = z
  .string()
  .refine((s) => parseLocalDate(s) !== undefined, 'a calendar date written YYYY-MM-DD (quote it)');
const rateSchema = z.int().min(0).max(1_000_000);

const bandSchema = z.strictObject({
  id: idSchema,
  /** The band applies when the quarter's average price is >= this (tiyn/kWh). */
  minPriceTiynPerKwh: z.int().min(0),
  rateTiynPerKwh: rateSchema,
  verified: z.boolean().default(true),
  note: z.string().optional(),
});

const ruleSchema = z
  .strictObject({
    id: idSchema,
    description: z.string().optional(),
    legalBasis: z.string().optional(),
    verified: z.boolean().default(true),
    rateTiynPerKwh: rateSchema.optional(),
    priceBands: z.array(bandSchema).min(1).optional(),
  })
  .superRefine((rule, ctx) => {
    if ((rule.rateTiynPerKwh === undefined) === (rule.priceBands === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['rateTiynPerKwh'],
        message: 'give exactly one of rateTiynPerKwh or priceBands',
      });
    }
    const bands = rule.priceBands ?? [];
    if (bands.length > 0 && !bands.some((b) => b.minPriceTiynPerKwh === 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['priceBands'],
        message: 'one band must start at minPriceTiynPerKwh 0 (the cheapest power)',
      });
    }
    const seen = new Set<number>();
    bands.forEach((b, i) => {
      if (seen.has(b.minPriceTiynPerKwh)) {
        ctx.addIssue({
          code: 'custom',
          path: ['priceBands', i, 'minPriceTiynPerKwh'],
          message: 'duplicate band start',
        });
      }
      seen.add(b.minPriceTiynPerKwh);
    });
  });

const ruleRefs = z.array(idSchema);

/** A due date: the `day` of the month `monthsAfterQuarter` months after the quarter's last month. */
const dueRuleSchema = z.strictObject({
  monthsAfterQuarter: z.int().min(1).max(12),
  day: z.int().min(1).max(28),
});

/** Declaration and payment dates of the quarters the schedule governs. */
const dueDatesSchema = z.strictObject({
  /** 'none': no fee declaration was required (2022). */
  declaration: z.union([z.literal('none'), dueRuleSchema]),
  payment: dueRuleSchema,
  verified: z.boolean().default(true),
  source: z.string().optional(),
});

export const tariffScheduleSchema = z
  .strictObject({
    id: idSchema,
    version: z.int().min(1),
    title: z.string().min(1),
    /** First local day the schedule applies (a calendar date at the site). */
    validFrom: dateSchema,
    /** Last local day the schedule applies (included); absent = open-ended. */
    validTo: dateSchema.optional(),
    /**
     * The zone of the schedule's own calendar (which quarters it governs, e.g. for due dates). The ledger
     * reads validFrom/validTo as calendar dates at each site, cut at the site's local midnight (docs/fees.md, 2).
     */
    timeZone: z.string().refine(isValidTimeZone, 'an IANA time zone known to the runtime, e.g. Asia/Almaty'),
    verified: z.boolean().default(true),
    rounding: z.enum(['half-up-tiyn', 'half-up-tenge']),
    /** Rules that may apply to metered energy of each source; the highest rate wins. */
    sources: z.strictObject({ grid: ruleRefs.min(1), renewable: ruleRefs.min(1), 'own-offgrid': ruleRefs.min(1) }),
    unmetered: z.strictObject({
      /** volume-substitution: max load x hours at the source's rate; penalty-rate: the rules below also apply. */
      method: z.enum(['volume-substitution', 'penalty-rate']),
      rules: ruleRefs.default([]),
    }),
    rules: z.array(ruleSchema).min(1),
    /** Absent: the service knows no due dates for these quarters (and says so). */
    dueDates: dueDatesSchema.optional(),
    notes: z.string().optional(),
  })
  .superRefine((s, ctx) => {
    const ids = new Set<string>();
    s.rules.forEach((r, i) => {
      if (ids.has(r.id))
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id '${r.id}'` });
      ids.add(r.id);
    });
    const check = (refs: readonly string[], path: (string | number)[]): void =>
      refs.forEach((ref, i) => {
        if (!ids.has(ref)) ctx.addIssue({ code: 'custom', path: [...path, i], message: `no rule with id '${ref}'` });
      });
    for (const source of ENERGY_SOURCES) check(s.sources[source], ['sources', source]);
    check(s.unmetered.rules, ['unmetered', 'rules']);
    if (s.unmetered.method === 'penalty-rate' && s.unmetered.rules.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['unmetered', 'rules'], message: 'penalty-rate needs at least one rule' });
    }
    if (s.validTo !== undefined && s.validTo < s.validFrom) {
      ctx.addIssue({ code: 'custom', path: ['validTo'], message: 'validTo is before validFrom' });
    }
  });

export type TariffScheduleFile = z.output<typeof tariffScheduleSchema>;
export type TariffRule = TariffScheduleFile['rules'][number];
export type DueDatesRule = NonNullable<TariffScheduleFile['dueDates']>;

/** 'rules[0] (grid-price-scale).priceBands[2].rateTiynPerKwh' from a zod path. */
function describePath(path: readonly PropertyKey[], raw: unknown): string {
  let text = '';
  let node: unknown = raw;
  for (const key of path) {
    const child: unknown =
      node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
    if (typeof key === 'number') {
      text += `[${key}]`;
      const id = child !== null && typeof child === 'object' ? (child as { id?: unknown }).id : undefined;
      if (typeof id === 'string') text += ` (${id})`;
    } else {
      text += text === '' ? String(key) : `.${String(key)}`;
    }
    node = child;
  }
  return text === '' ? '(file)' : text;
}

/** Parses and validates one schedule file's text. Errors read 'file: entry.field: problem'. */
export function parseTariffSchedule(text: string, fileName: string): Result<TariffScheduleFile> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    return fail(`${fileName}: not valid YAML: ${(error as Error).message}`);
  }
  const parsed = tariffScheduleSchema.safeParse(raw);
  if (parsed.success) return ok(parsed.data);
  const problems = parsed.error.issues.map(
    (issue) => `${fileName}: ${describePath(issue.path, raw)}: ${issue.message}`,
  );
  return fail(problems.join('\n'));
}
