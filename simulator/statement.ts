/**
 * The electricity supplier's statement for a simulated run (issue 24): per site and local month, the energy
 * the rigs really drew (the physics' true energy from the run's ground truth) plus the site's auxiliary load
 * and losses, as the share `auxShare` of the invoice: invoiced = true / (1 - auxShare), rounded to the Wh.
 * Written as the CSV `kzmeter invoices import` reads (site,month,kwh,invoice_no). Only whole months the run
 * covers, unless asked otherwise (a clipped month would be invoiced short).
 *   kzmeter simulate statement --truth runs/<run>/ground-truth.json [--aux-share 0.08] [--period P] [--out FILE]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export const STATEMENT_HELP = `Usage: kzmeter simulate statement --truth FILE [--aux-share S] [--period P] [--partial] [--out FILE]

  --truth <file>        a run's ground-truth.json (written by kzmeter simulate under --out)
  --aux-share <s>       share of the invoice not on the mining meters: cooling, offices, transformer losses
                        (default 0.08; 0 <= s < 1)
  --period <P>          only the months of a quarter (2025-Q3) or a month (2025-07)
  --partial             also the months the run covers only in part (invoiced short)
  --out <file>          write the CSV there (default: stdout)
Example: kzmeter simulate statement --truth runs/calm-quarter-42/ground-truth.json --aux-share 0.08 --out statement.csv`;

interface TruthPeriod {
  period: string;
  kind: string;
  clipped: boolean;
  trueEnergyWh: number;
}
interface Truth {
  scenario?: string;
  meters: { siteId: string; periods: TruthPeriod[] }[];
}

/** Months of a period label ('2025-Q3' -> 07, 08, 09; '2025-07' -> itself). */
function monthsOf(period: string): Set<string> | undefined {
  const q = /^(\d{4})-Q([1-4])$/.exec(period);
  if (q) return new Set([1, 2, 3].map((i) => `${q[1]}-${String((Number(q[2]) - 1) * 3 + i).padStart(2, '0')}`));
  if (/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) return new Set([period]);
  return undefined;
}

const kwh = (wh: number) => `${Math.floor(wh / 1000)}.${String(wh % 1000).padStart(3, '0')}`;

/** The statement's CSV from a ground truth. Pure. */
export function statementCsv(
  truth: Truth,
  opts: { auxShare: number; months?: ReadonlySet<string>; partial?: boolean },
): string {
  const sums = new Map<string, { site: string; month: string; wh: number; clipped: boolean }>();
  for (const m of truth.meters)
    for (const p of m.periods) {
      if (p.kind !== 'month' || (opts.months && !opts.months.has(p.period))) continue;
      const key = `${m.siteId}|${p.period}`;
      const s = sums.get(key) ?? { site: m.siteId, month: p.period, wh: 0, clipped: false };
      s.wh += p.trueEnergyWh;
      s.clipped ||= p.clipped;
      sums.set(key, s);
    }
  const rows = [...sums.values()]
    .filter((s) => opts.partial || !s.clipped)
    .sort((a, b) => (a.site + a.month < b.site + b.month ? -1 : 1))
    .map((s, i) => {
      const invoicedWh = Math.round(s.wh / (1 - opts.auxShare));
      return `${s.site},${s.month},${kwh(invoicedWh)},SIM-${s.month}-${String(i + 1).padStart(3, '0')}`;
    });
  return ['site,month,kwh,invoice_no', ...rows].join('\n') + '\n';
}

export function statementMain(argv: string[]): number {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      truth: { type: 'string' },
      'aux-share': { type: 'string' },
      period: { type: 'string' },
      partial: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.help) {
    console.log(STATEMENT_HELP);
    return 0;
  }
  const usage = (m: string) => {
    console.error(`kzmeter simulate statement: ${m}. Run "kzmeter simulate statement --help" for its options.`);
    return 2;
  };
  if (!v.truth) return usage("--truth is required (a run's ground-truth.json)");
  const auxShare = v['aux-share'] === undefined ? 0.08 : Number(v['aux-share']);
  if (!Number.isFinite(auxShare) || auxShare < 0 || auxShare >= 1)
    return usage(`--aux-share must be a number from 0 up to (not including) 1, got "${v['aux-share']}"`);
  const months = v.period === undefined ? undefined : monthsOf(v.period);
  if (v.period !== undefined && !months) return usage(`--period must be a quarter (2025-Q3) or a month (2025-07)`);
  const truth = JSON.parse(readFileSync(v.truth, 'utf8')) as Truth;
  const csv = statementCsv(truth, { auxShare, ...(months && { months }), partial: v.partial });
  if (v.out) writeFileSync(v.out, csv);
  else process.stdout.write(csv);
  return 0;
}
