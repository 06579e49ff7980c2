/**
 * What a ledger request asks for (HTTP query or CLI flags), validated with
 * zod, and its resolution against the registry and the clock: which meters,
 * which [fromMs, toMs) per meter (local midnights of each meter's zone), and
 * whether the period is over. Pure apart from the `nowMs` handed in.
 */
import { z } from 'zod';
import {
  type MeterFacts,
  type SubstitutionPolicy,
  DEFAULT_POLICY,
  formatPeriod,
  parsePeriod,
  periodBounds,
  zonedMidnightMs,
} from '../fees/index.ts';
import type { Result } from '../util/result.ts';
import type { Registry } from '../registry/types.ts';
import { metersInScope } from './scope.ts';
import type { MeterPeriod } from './store-ledger.ts';

const instant = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/,
    'a date YYYY-MM-DD (local midnight at the site) or a date-time with offset, e.g. 2025-07-01T00:00+05:00',
  );

export const ledgerQuerySchema = z
  .strictObject({
    site: z.string().min(1).optional(),
    taxpayer: z.string().min(1).optional(),
    period: z.string().min(1).optional().describe('2025-Q3, 2025-07 or 2025-07-01..2025-07-15 (both days included)'),
    from: instant.optional(),
    to: instant.optional().describe('exclusive'),
    policy: z
      .enum(['strict', 'register-reconciled'])
      .optional()
      .describe('default: the configured policy (fees.policy)'),
  })
  .superRefine((q, ctx) => {
    if (q.period !== undefined && (q.from !== undefined || q.to !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['period'], message: 'give either period or from and to, not both' });
    } else if (q.period === undefined && (q.from === undefined || q.to === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [q.from === undefined ? 'from' : 'to'],
        message: 'give period (e.g. 2025-Q3) or both from and to',
      });
    }
  });

export type LedgerQuery = z.output<typeof ledgerQuerySchema>;

export interface ResolvedLedgerRequest {
  /** '2025-Q3', '2025-07', '2025-07-01..2025-07-15' or 'from..to' as given. */
  readonly label: string;
  readonly meters: readonly MeterPeriod[];
  readonly policy: SubstitutionPolicy;
  /** Every meter's period has ended by nowMs. */
  readonly complete: boolean;
  /** When not complete: the ledger runs to this instant (periods are cut at it). */
  readonly asOfMs?: number;
  /** The period bounds before any cut at now (earliest from, latest to). */
  readonly fromMs: number;
  readonly toMs: number;
  readonly timeZones: readonly string[];
}

function instantMs(text: string, timeZone: string): number {
  if (text.length === 10) {
    const [year, month, day] = text.split('-').map(Number) as [number, number, number];
    return zonedMidnightMs({ year, month, day }, timeZone);
  }
  return Date.parse(text);
}

function validDate(text: string): boolean {
  const d = new Date(`${text.slice(0, 10)}T00:00:00Z`);
  return (
    !Number.isNaN(d.getTime()) &&
    d.toISOString().slice(0, 10) === text.slice(0, 10) &&
    (text.length === 10 || !Number.isNaN(Date.parse(text)))
  );
}

/** Meters and bounds of a validated query; errors read as a sentence for a 400 answer or the CLI. */
export function resolveLedgerRequest(
  registry: Registry,
  q: LedgerQuery,
  nowMs: number,
  policyDefaults: SubstitutionPolicy = DEFAULT_POLICY,
): Result<ResolvedLedgerRequest> {
  const scope = metersInScope(registry, {
    ...(q.site !== undefined && { siteId: q.site }),
    ...(q.taxpayer !== undefined && { taxpayerBin: q.taxpayer }),
  });
  if (!scope.ok) return scope;
  let label: string;
  let boundsOf: (f: MeterFacts) => { fromMs: number; toMs: number };
  if (q.period !== undefined) {
    const p = parsePeriod(q.period);
    if (!p.ok) return p;
    label = formatPeriod(p.value);
    boundsOf = (f) => periodBounds(p.value, f.timeZone);
  } else {
    const from = q.from!;
    const to = q.to!;
    for (const [k, v] of [
      ['from', from],
      ['to', to],
    ] as const)
      if (!validDate(v)) return { ok: false, reason: `${k}: '${v}' is not a valid date` };
    label = `${from}..${to} (to exclusive)`;
    boundsOf = (f) => ({ fromMs: instantMs(from, f.timeZone), toMs: instantMs(to, f.timeZone) });
  }
  const full = scope.value.map((facts) => ({ facts, ...boundsOf(facts) }));
  const bad = full.find((m) => !(m.fromMs < m.toMs));
  if (bad)
    return {
      ok: false,
      reason: `from must be before to (got ${new Date(bad.fromMs).toISOString()} .. ${new Date(bad.toMs).toISOString()})`,
    };
  const fromMs = Math.min(...full.map((m) => m.fromMs));
  const toMs = Math.max(...full.map((m) => m.toMs));
  if (fromMs >= nowMs)
    return {
      ok: false,
      reason: `the period ${label} has not started yet (it starts ${new Date(fromMs).toISOString()})`,
    };
  const complete = toMs <= nowMs;
  // A period in progress is computed "so far": up to now, never with max-load substitution of the future.
  const meters = complete
    ? full
    : full.map((m) => (m.toMs > nowMs ? { ...m, toMs: nowMs, openEnd: true } : m)).filter((m) => m.fromMs < m.toMs);
  return {
    ok: true,
    value: {
      label,
      meters,
      complete,
      fromMs,
      toMs,
      ...(!complete && { asOfMs: nowMs }),
      policy: { ...policyDefaults, name: q.policy ?? policyDefaults.name },
      timeZones: [...new Set(full.map((m) => m.facts.timeZone))],
    },
  };
}
