/**
 * CLI for period close and exports, against a running InfluxDB (KZM_INFLUX_URL):
 *   kzmeter close  --period 2025-Q3 [--taxpayer BIN] [--by NAME] [--reason TEXT]
 *   kzmeter reopen --period 2025-Q3 [--taxpayer BIN] --reason TEXT [--by NAME]
 *   kzmeter export --period 2025-Q3 [--taxpayer BIN] [--version N] [--format csv|totals.csv|json|html|all] [--out DIR]
 *   kzmeter verify --period 2025-Q3 [--taxpayer BIN] [--version N]
 *   kzmeter periods                     (list with states and due dates)
 * Exit codes: 0 done, 1 failed (or verify found a difference), 2 bad arguments.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { feeSettings } from '../config/fee-settings.ts';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { loadTariffs } from '../fees/index.ts';
import { type ExportFormat, type PeriodService, createPeriodService } from '../periods/period-service.ts';
import { loadRegistry } from '../registry/load.ts';
import { influxTarget } from '../store/influx-target.ts';

export const PERIODS_HELP = `Period close and tax exports (needs KZM_INFLUX_URL: the InfluxDB the service writes to):
  close  --period P [--taxpayer BIN] [--by NAME] [--reason TEXT]   freeze the period (no-op when closed)
  reopen --period P [--taxpayer BIN] --reason TEXT [--by NAME]     allow a new close (version N+1)
  export --period P [--taxpayer BIN] [--version N] [--format csv|totals.csv|json|html|all] [--out DIR]
  verify --period P [--taxpayer BIN] [--version N]                 digest + recomputed ledger
  periods                                                          list periods, states, due dates
  P: 2025-Q3 (tax quarter), 2025-07 (month), 2025-07-01..2025-07-15 (days, both included)`;

const OPTIONS = {
  period: { type: 'string' },
  taxpayer: { type: 'string' },
  by: { type: 'string' },
  reason: { type: 'string' },
  version: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean' },
} as const;
const FORMATS: ExportFormat[] = ['csv', 'totals.csv', 'json', 'html'];

/** The period service the CLI works with; `deps` lets tests hand in their own. */
export async function cliPeriodService(configFile?: string): Promise<PeriodService> {
  const config = loadConfig(configFile ? { file: configFile } : {});
  if (!config.influx.url)
    throw Object.assign(
      new Error('KZM_INFLUX_URL is not set: the period commands read the InfluxDB the service writes to'),
      { name: 'PeriodCliError' },
    );
  const tariffs = await loadTariffs(config.tariffsDir);
  if (!tariffs.ok) throw Object.assign(new Error(tariffs.reason), { name: 'TariffError' });
  return createPeriodService({
    registry: loadRegistry(config.registryDir),
    tariffs: tariffs.value,
    target: influxTarget(config.influx, config.influx.url),
    dataDir: config.dataDir,
    ...feeSettings(config),
  });
}

/** One entry for every period subcommand; `service` for tests. */
export async function periodsMain(
  sub: 'close' | 'reopen' | 'export' | 'verify' | 'periods',
  argv: string[],
  service?: PeriodService,
  print: (s: string) => void = (s) => console.log(s),
): Promise<number> {
  const { values: v } = parseArgs({ args: argv, options: OPTIONS, strict: true });
  if (v.help) {
    print(PERIODS_HELP);
    return 0;
  }
  if (sub !== 'periods' && !v.period) {
    console.error(`--period is required\n\n${PERIODS_HELP}`);
    return 2;
  }
  const version = v.version === undefined ? undefined : Number(v.version);
  if (version !== undefined && !(Number.isInteger(version) && version >= 1)) {
    console.error('--version must be a whole number >= 1');
    return 2;
  }
  const svc = service ?? (await cliPeriodService(v.config));
  const period = v.period ?? '';
  const by = v.by ?? userInfo().username;
  const opts = { ...(v.taxpayer && { taxpayer: v.taxpayer }), ...(version && { version }) };
  const failed = (r: { status: number; reason: string }) => {
    console.error(r.reason);
    return r.status >= 500 ? 1 : 2;
  };
  switch (sub) {
    case 'periods':
      print(JSON.stringify(await svc.list(), null, 2));
      return 0;
    case 'close': {
      const r = await svc.close({
        period,
        closedBy: by,
        ...(v.taxpayer && { taxpayer: v.taxpayer }),
        ...(v.reason && { reason: v.reason }),
      });
      if (!r.ok) return failed(r);
      const s = r.value.snapshot;
      print(
        `${r.value.created ? 'Closed' : 'Already closed:'} ${s.period} v${s.version} ${s.digest}; declared ${(s.declaredTotalTiyn / 100).toFixed(2)} tenge`,
      );
      return 0;
    }
    case 'reopen': {
      const r = await svc.reopen({
        period,
        reopenedBy: by,
        reason: v.reason ?? null,
        ...(v.taxpayer && { taxpayer: v.taxpayer }),
      });
      if (!r.ok) return failed(r);
      print(
        `Reopened ${period} after v${r.value.reopenedVersion}; the next close makes v${r.value.reopenedVersion + 1}`,
      );
      return 0;
    }
    case 'export': {
      const fmt = v.format ?? 'all';
      const formats = fmt === 'all' ? FORMATS : FORMATS.filter((f) => f === fmt);
      if (!formats.length) {
        console.error(`--format must be one of ${FORMATS.join(', ')}, all`);
        return 2;
      }
      for (const f of formats) {
        const r = await svc.export(period, f, opts);
        if (!r.ok) return failed(r);
        const s = r.value.snapshot;
        const name = `kzmeter-${s.period}${s.taxpayerScope ? `-${s.taxpayerScope}` : ''}-v${s.version}${f === 'totals.csv' ? '-totals.csv' : `.${f}`}`;
        if (v.out) {
          mkdirSync(v.out, { recursive: true });
          writeFileSync(join(v.out, name), r.value.body);
          print(join(v.out, name));
        } else print(r.value.body);
      }
      return 0;
    }
    case 'verify': {
      const r = await svc.verify(period, opts);
      if (!r.ok) return failed(r);
      print(JSON.stringify(r.value, null, 2));
      return r.value.ok ? 0 : 1;
    }
  }
}
