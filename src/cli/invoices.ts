/**
 * The supplier's invoices from the command line (issue 24):
 *   kzmeter invoices import FILE [--by NAME]       a statement (CSV site,month,kwh[,invoice_no]); refused whole
 *   kzmeter invoices list [--period P]             every version, as JSON
 *   kzmeter invoices reconcile --period P [--taxpayer BIN]   invoiced against the ledger (needs InfluxDB)
 * Exit codes: 0 done, 1 failed, 2 bad arguments or a refused statement (the message names the lines).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { loadRegistry } from '../registry/load.ts';
import { createInvoiceService } from '../periods/invoice-service.ts';
import { createFileInvoiceStore } from '../periods/invoice-store.ts';
import { createWriteApi } from '../store/write-api.ts';
import { isKzmError } from '../util/errors.ts';
import { cliAudit } from './audit.ts';
import { influxTargetOf } from './local-influx.ts';
import { COMMON_OPTIONS } from './options.ts';
import { cliPeriodService } from './periods.ts';

export const INVOICES_HELP = `Usage: kzmeter invoices <import FILE | list | reconcile> [options]
  import FILE     the supplier's statement: CSV lines site,month,kwh[,invoice_no] (a header line and # comments
                  allowed; kWh with a dot and up to 3 decimals). Checked whole: one bad line refuses the file,
                  naming each line, column and value. A site and month already imported with another figure or
                  invoice number gets a new version (the old ones are kept); an equal one is left alone.
  list            every invoice version, as JSON
  reconcile       invoiced kWh against the ledger's kWh (metered + substituted) per site and month, as JSON
  --period P      list, reconcile: a quarter (2025-Q3) or a month (2025-07)
  --taxpayer BIN  reconcile: only the sites this taxpayer operates
  --by NAME       import: who imports (default: your user name; the audit trail records it)
  --config F      settings file (YAML)
  --help          this text
  The invoices are kept under <dataDir>/invoices/; import also writes them to InfluxDB when it is reachable
  (else the service writes them at its next start).
Example: kzmeter invoices import statement-2025-07.csv`;

const OPTIONS = {
  period: { type: 'string' },
  taxpayer: { type: 'string' },
  by: { type: 'string' },
  ...COMMON_OPTIONS,
} as const;

export async function invoicesMain(argv: string[], print: (s: string) => void = (s) => console.log(s)) {
  const { values: v, positionals } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  const [sub, file] = positionals;
  if (v.help) {
    print(INVOICES_HELP);
    return 0;
  }
  const usage = (m: string) => {
    console.error(`kzmeter invoices: ${m}. Run "kzmeter invoices --help" for its options.`);
    return 2;
  };
  if (sub !== 'import' && sub !== 'list' && sub !== 'reconcile') return usage('want import FILE, list or reconcile');
  const config = loadConfig(v.config ? { file: v.config } : {});
  if (sub === 'reconcile') {
    if (!v.period) return usage('--period is required');
    const r = await (await cliPeriodService(v.config)).reconciliation(v.period, v.taxpayer ?? null);
    if (!r.ok) return usage(r.reason);
    print(JSON.stringify(r.value, null, 2));
    return 0;
  }
  const target = sub === 'import' ? influxTargetOf(config) : undefined;
  const svc = createInvoiceService({
    registry: loadRegistry(config.registryDir),
    store: createFileInvoiceStore(config.dataDir),
    ...(target && { writeLines: (lines: readonly string[]) => createWriteApi(target).writeLines(lines) }),
    audit: (e) => cliAudit(config, { action: 'invoice-import', what: { ...e.what, by: e.who }, digest: e.digest }),
  });
  try {
    if (sub === 'list') {
      print(JSON.stringify({ invoices: svc.list(v.period) }, null, 2));
      return 0;
    }
    if (!file) return usage('import needs the statement file');
    const text = readFileSync(file, 'utf8');
    const r = await svc.importStatement({ text, by: v.by ?? userInfo().username, source: basename(file) });
    for (const i of r.imported)
      print(
        `${i.site} ${i.month}: ${i.kwh} kWh v${i.version}${i.replacedVersion ? ` (replaces v${i.replacedVersion})` : ''}`,
      );
    print(`Imported ${r.imported.length} site-month(s); ${r.unchanged} unchanged.`);
    return 0;
  } catch (err) {
    if (isKzmError(err) && err.httpStatus < 500) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
}
