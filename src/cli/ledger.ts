import { parseArgs } from 'node:util';
import { feeSettings } from '../config/fee-settings.ts';
import { loadConfig } from '../config/load.ts';
import { loadTariffs } from '../fees/index.ts';
import { createLedgerService } from '../ledger/ledger-service.ts';
import { toCsv, toTable } from '../ledger/format.ts';
import { loadRegistry } from '../registry/load.ts';
import { influxTarget } from '../store/influx-target.ts';

export const LEDGER_HELP = `kzmeter ledger --period 2025-Q3 [--site ID] [--taxpayer BIN] [--policy strict|register-reconciled]
               [--format json|csv|table] [--csv-table lines|declared] [--config file.yaml]
  Prints the fee ledger of a period, computed from InfluxDB (KZM_INFLUX_URL must point to it).
  --period     2025-Q3, 2025-07 or 2025-07-01..2025-07-15 (both days included); or --from/--to
  --from --to  dates (local midnight at the site) or date-times with offset; --to is exclusive
  --policy     strict (default): every gap, last will, fault, reset or spike at max load x hours;
               register-reconciled: communication gaps the register covers plausibly at the register
  --format     table (default), json (the /api/ledger answer), csv (one row per ledger line)
  --csv-table  lines (default) or declared (declared lines, rounded once each)
  --tariffs    tariff directory (default: config tariffsDir / KZM_TARIFFS_DIR); --tariffs-override DIR on top
A period still in progress is computed up to now and marked as such.`;

export interface LedgerCliIo {
  env?: NodeJS.ProcessEnv;
  out?: (text: string) => void;
  err?: (text: string) => void;
  now?: () => number;
}

/** `kzmeter ledger ...`: 0 on success, 2 for a bad request or setup (message on stderr). */
export async function ledgerMain(argv: string[], io: LedgerCliIo = {}): Promise<number> {
  const out = io.out ?? ((t: string) => void process.stdout.write(t));
  const err = io.err ?? ((t: string) => void process.stderr.write(t));
  const { values } = parseArgs({
    args: argv,
    options: {
      period: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      site: { type: 'string' },
      taxpayer: { type: 'string' },
      policy: { type: 'string' },
      format: { type: 'string' },
      'csv-table': { type: 'string', default: 'lines' },
      tariffs: { type: 'string' },
      'tariffs-override': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    out(`${LEDGER_HELP}\n`);
    return 0;
  }
  const format = values.format ?? 'table';
  if (!['json', 'csv', 'table'].includes(format)) {
    err(`--format must be json, csv or table (got "${format}")\n`);
    return 2;
  }
  const csvTable = values['csv-table'];
  if (csvTable !== 'lines' && csvTable !== 'declared') {
    err(`--csv-table must be lines or declared (got "${csvTable}")\n`);
    return 2;
  }
  const config = loadConfig({ env: io.env ?? process.env, ...(values.config && { file: values.config }) });
  if (!config.influx.url) {
    err(
      'The ledger reads InfluxDB, but no InfluxDB URL is configured: set KZM_INFLUX_URL (e.g. KZM_INFLUX_URL=http://127.0.0.1:8086, and KZM_INFLUX_DATABASE if not "kzmeter") or influx.url in the --config file.\n',
    );
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
    target: influxTarget(config.influx, config.influx.url),
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
    err(`${result.reason}\n\n${LEDGER_HELP}\n`);
    return 2;
  }
  if (format === 'json') out(`${JSON.stringify(result.value, null, 2)}\n`);
  else if (format === 'csv') out(toCsv(result.value, csvTable));
  else out(toTable(result.value));
  return 0;
}
