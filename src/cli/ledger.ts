import { COMMON_OPTIONS, SPAN_OPTIONS, cliStreams } from './options.ts';
import { parseArgs } from 'node:util';
import { feeSettings } from '../config/fee-settings.ts';
import { loadConfig } from '../config/load.ts';
import { loadTariffs } from '../fees/index.ts';
import { createLedgerService } from '../ledger/ledger-service.ts';
import { toCsv, toTable } from '../ledger/format.ts';
import { loadRegistry } from '../registry/load.ts';
import { influxTargetOf, NO_INFLUX } from './local-influx.ts';

export const LEDGER_HELP = `Usage: kzmeter ledger (--period P | --from D --to D) [--site ID | --taxpayer BIN] [--policy NAME]
                      [--format json|csv|table] [--csv-table lines|declared] [--tariffs DIR] [--config file.yaml]
  Prints the fee ledger of a period, computed from InfluxDB: the one \`kzmeter serve\` started (found in
  <dataDir>/local-influx.json while it runs), or KZM_INFLUX_URL. A running period is computed up to now.
  --period P          2025-Q3, 2025-07 or 2025-07-01..2025-07-15 (both days included)
  --from D --to D     dates (local midnight at the site) or date-times with offset; --to is exclusive
  --site ID           only this site's meters
  --taxpayer BIN      only this taxpayer's meters
  --policy NAME       strict (default): every gap, last will, fault, reset or spike at max load x hours;
                      register-reconciled: communication gaps the register covers plausibly at the register
  --format F          table (default), json (the /api/ledger answer), csv (one row per line)
  --csv-table T       with --format csv: lines (default) or declared (declared lines, rounded once each)
  --tariffs DIR       tariff schedules (default: KZM_TARIFFS_DIR, tariffs/)
  --tariffs-override DIR   schedules that replace those of the same id
  --config F          settings file (YAML)
  --help              this text
Example: kzmeter ledger --period 2025-Q3 --site ekb-1 --format csv > ekb-1-2025-Q3.csv`;

const HINT = 'Run "kzmeter ledger --help" for its options.';

export interface LedgerCliIo {
  env?: NodeJS.ProcessEnv;
  out?: (text: string) => void;
  err?: (text: string) => void;
  now?: () => number;
}

/** What is wrong with the time span flags, in their own names; undefined when they are right. */
export function spanProblem(v: { period?: string; from?: string; to?: string }): string | undefined {
  if (v.period !== undefined && (v.from !== undefined || v.to !== undefined))
    return 'kzmeter ledger: give --period or --from/--to, not both.';
  if (v.period === undefined && (v.from === undefined || v.to === undefined))
    return v.from === undefined && v.to === undefined
      ? 'kzmeter ledger: which time span? Give --period P (2025-Q3, 2025-07 or 2025-07-01..2025-07-15), or --from DATE and --to DATE.'
      : `kzmeter ledger: --${v.from === undefined ? 'from' : 'to'} is missing: give both --from DATE and --to DATE, or --period P.`;
  return undefined;
}

/** `kzmeter ledger ...`: 0 on success, 2 for a bad request or setup (message on stderr). */
export async function ledgerMain(argv: string[], io: LedgerCliIo = {}): Promise<number> {
  const { out, err } = cliStreams(io);
  const { values } = parseArgs({
    args: argv,
    options: {
      ...SPAN_OPTIONS,
      ...COMMON_OPTIONS,
      site: { type: 'string' },
      taxpayer: { type: 'string' },
      policy: { type: 'string' },
      format: { type: 'string' },
      'csv-table': { type: 'string', default: 'lines' },
      tariffs: { type: 'string' },
      'tariffs-override': { type: 'string' },
    },
  });
  if (values.help) {
    out(`${LEDGER_HELP}\n`);
    return 0;
  }
  // Said in the CLI's own flags, before anything is read (the API's message names its query fields).
  const span = spanProblem(values);
  if (span) {
    err(`${span} ${HINT}\n`);
    return 2;
  }
  const format = values.format ?? 'table';
  if (!['json', 'csv', 'table'].includes(format)) {
    err(`--format must be json, csv or table (got "${format}"). ${HINT}\n`);
    return 2;
  }
  const csvTable = values['csv-table'];
  if (csvTable !== 'lines' && csvTable !== 'declared') {
    err(`--csv-table must be lines or declared (got "${csvTable}"). ${HINT}\n`);
    return 2;
  }
  const config = loadConfig({ env: io.env ?? process.env, ...(values.config && { file: values.config }) });
  const target = influxTargetOf(config);
  if (!target) {
    err(`${NO_INFLUX}\n`);
    return 2;
  }
  const registry = loadRegistry(config.registryDir);
  const tariffs = await loadTariffs(values.tariffs ?? config.tariffsDir, values['tariffs-override']);
  if (!tariffs.ok) {
    err(`Tariff schedules are invalid:\n${tariffs.reason}\n`);
    return 2;
  }
  const service = createLedgerService({
    registry,
    tariffs: tariffs.value,
    target,
    ...feeSettings(config),
    ...(io.now && { now: io.now }),
  });
  const query = Object.fromEntries(
    Object.entries({
      period: values.period,
      from: values.from,
      to: values.to,
      site: values.site,
      taxpayer: values.taxpayer,
      policy: values.policy,
    }).filter(([, v]) => v !== undefined),
  );
  const result = await service.ledger(query);
  if (!result.ok) {
    err(`${result.reason}. ${HINT}\n`);
    return 2;
  }
  if (format === 'json') out(`${JSON.stringify(result.value, null, 2)}\n`);
  else if (format === 'csv') out(toCsv(result.value, csvTable));
  else out(toTable(result.value));
  return 0;
}
