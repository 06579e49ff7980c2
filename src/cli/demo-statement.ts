/**
 * The demo's supplier statement (issue 24): `npm start` imports, for the months of the running quarter that have
 * ended, what the electricity supplier would invoice its sites: the rigs' true energy from the simulator's ground
 * truth plus 8 % auxiliary load and losses (simulator/statement.ts). So the overview and the periods page show a
 * realistic reconciliation, without a second pass over the physics (the runner hands over the truth it collects
 * as it streams: SimulationOptions.truthAt). Importing the same figures again (a restart) changes nothing.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { localDateOf, zonedMidnightMs } from '../fees/zoned-time.ts';
import { createInvoiceService } from '../periods/invoice-service.ts';
import { createFileInvoiceStore } from '../periods/invoice-store.ts';
import type { Registry } from '../registry/types.ts';
import { cliAudit } from './audit.ts';

/** The share of the invoice the demo's sites use besides their mining meters (inside the default 0..15 % band). */
export const DEMO_AUX_SHARE = 0.08;

/** The months of [fromMs, now)'s quarter that ended before the month of nowMs, and when that month began. */
export function endedDemoMonths(
  fromMs: number,
  nowMs: number,
  timeZone: string,
): { months: string[]; untilMs: number } {
  const now = localDateOf(nowMs, timeZone);
  const untilMs = zonedMidnightMs({ year: now.year, month: now.month, day: 1 }, timeZone);
  const months: string[] = [];
  for (let d = localDateOf(fromMs, timeZone); ;) {
    const start = zonedMidnightMs({ year: d.year, month: d.month, day: 1 }, timeZone);
    if (start >= untilMs) break;
    months.push(`${d.year}-${String(d.month).padStart(2, '0')}`);
    d = d.month === 12 ? { year: d.year + 1, month: 1, day: 1 } : { year: d.year, month: d.month + 1, day: 1 };
  }
  return { months, untilMs };
}

export async function importDemoStatement(opts: {
  config: Config;
  registry: Registry;
  truth: Record<string, unknown>;
  months: readonly string[];
  writeLines: (lines: readonly string[]) => Promise<void>;
  log: Logger;
}): Promise<void> {
  const { statementCsv } = await import('../../simulator/statement.ts');
  const text = statementCsv(opts.truth as never, {
    auxShare: DEMO_AUX_SHARE,
    months: new Set(opts.months),
    partial: true,
  });
  const invoices = createInvoiceService({
    registry: opts.registry,
    store: createFileInvoiceStore(opts.config.dataDir),
    writeLines: opts.writeLines,
    audit: (e) => cliAudit(opts.config, { action: 'invoice-import', what: { ...e.what, by: e.who }, digest: e.digest }),
  });
  const r = await invoices.importStatement({
    text,
    by: `demo (simulated supplier statement, ${DEMO_AUX_SHARE * 100} % auxiliary load)`,
    source: 'demo-statement.csv',
  });
  opts.log.info(
    { months: opts.months, imported: r.imported.length, unchanged: r.unchanged },
    "Demo: the supplier's statement for the ended months imported (the reconciliation on the overview and periods page).",
  );
}
