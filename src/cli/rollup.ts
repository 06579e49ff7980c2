import { COMMON_OPTIONS, SPAN_OPTIONS, cliStreams } from './options.ts';
import { parseArgs } from 'node:util';
import { feeSettings } from '../config/fee-settings.ts';
import { loadConfig } from '../config/load.ts';
import { createFeeDays } from '../ledger/fee-days-updater.ts';
import { DAY_MS, loadTariffs, parsePeriod, periodBounds } from '../fees/index.ts';
import { loadRegistry } from '../registry/load.ts';
import { rebuildRollups } from '../rollup/rebuild.ts';
import { createBatchWriter } from '../store/batch-writer.ts';
import { createWriteApi } from '../store/write-api.ts';
import { createLogger } from '../util/logger.ts';
import { influxTargetOf, NO_INFLUX } from './local-influx.ts';

export const ROLLUP_HELP = `Usage: kzmeter rollup (--period P | --from D --to D) [--site ID] [--config file.yaml]
  Recomputes the hour and day rollups (reading_1h, reading_1d) from the raw readings, then the fees per
  meter and day (fee_1d, what Grafana's fee panels read) from them. The running service keeps both current
  by itself; run this for readings written around it (an import), after the service was down longer than
  its recovery look-back (rollup.recoverLookbackH), or to fill fee_1d for a quarter the service never
  computed. Period close refuses a period whose readings the rollups do not cover and names this command.
  Safe to repeat; while the service is ingesting, keep the range to past days.
  --period P      2025-Q3, 2025-07 or 2025-07-01..2025-07-15, in the sites' zones (rollups: one UTC day added
                  each side)
  --from --to D   UTC dates YYYY-MM-DD; --to is exclusive
  --site ID       only this site's meters
  --config F      settings file (YAML)
  --help          this text
  Reads the InfluxDB that \`kzmeter serve\` started (<dataDir>/local-influx.json while it runs) or KZM_INFLUX_URL.
Example: kzmeter rollup --period 2025-Q3 --site ekb-1`;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function range(
  values: { period?: string; from?: string; to?: string },
  zones: readonly string[],
): { fromMs: number; toMs: number; fees: { fromMs: number; toMs: number } } | string {
  if (values.period !== undefined) {
    const p = parsePeriod(values.period);
    if (!p.ok) return p.reason;
    const bounds = zones.map((z) => periodBounds(p.value, z));
    const fromMs = Math.min(...bounds.map((b) => b.fromMs));
    const toMs = Math.max(...bounds.map((b) => b.toMs));
    return { fromMs: fromMs - DAY_MS, toMs: toMs + DAY_MS, fees: { fromMs, toMs } };
  }
  if (!values.from || !values.to || !DATE.test(values.from) || !DATE.test(values.to))
    return 'give --period, or --from and --to as YYYY-MM-DD';
  const fromMs = Date.parse(`${values.from}T00:00Z`);
  const toMs = Date.parse(`${values.to}T00:00Z`);
  if (!(fromMs < toMs)) return `--from (${values.from}) must be before --to (${values.to})`;
  return { fromMs, toMs, fees: { fromMs, toMs } };
}

/** `kzmeter rollup ...`: 0 on success, 2 for a bad request or setup. */
export async function rollupMain(
  argv: string[],
  io: { env?: NodeJS.ProcessEnv; err?: (t: string) => void; out?: (t: string) => void } = {},
): Promise<number> {
  const { out, err } = cliStreams(io);
  const { values } = parseArgs({
    args: argv,
    options: { ...SPAN_OPTIONS, ...COMMON_OPTIONS, site: { type: 'string' } },
  });
  if (values.help) {
    out(`${ROLLUP_HELP}\n`);
    return 0;
  }
  const config = loadConfig({ env: io.env ?? process.env, ...(values.config && { file: values.config }) });
  const target = influxTargetOf(config);
  if (!target) {
    err(`${NO_INFLUX}\n`);
    return 2;
  }
  const tariffs = await loadTariffs(config.tariffsDir);
  if (!tariffs.ok) {
    err(`Tariff schedules in ${config.tariffsDir} are invalid: ${tariffs.reason}\n`);
    return 2;
  }
  const registry = loadRegistry(config.registryDir);
  const meters = registry.meters.filter((m) => values.site === undefined || m.siteId === values.site);
  if (!meters.length) {
    err(
      `No meters at site "${values.site}"; sites: ${[...new Set(registry.meters.map((m) => m.siteId))].join(', ')}\n`,
    );
    return 2;
  }
  const r = range(values, [...new Set(meters.map((m) => m.timeZone))]);
  if (typeof r === 'string') {
    err(`${r}. Run "kzmeter rollup --help" for its options.\n`);
    return 2;
  }
  const log = createLogger(config.logLevel);
  const writer = createBatchWriter({
    writeApi: createWriteApi(target),
    batchSize: config.influx.batchSize,
    lingerMs: 0,
    log,
  });
  const t0 = Date.now();
  try {
    const res = await rebuildRollups({
      target,
      sink: writer,
      meterIds: meters.map((m) => m.id),
      fromMs: r.fromMs,
      toMs: r.toMs,
      onProgress: (p) =>
        err(`\rrollup: day ${p.daysDone}/${p.days}, ${p.hours} meter-hours from ${p.rawReadings} readings`),
    });
    err(
      `\nRollups recomputed: ${res.hourBuckets} meter-hours and ${res.dayBuckets} meter-days from ${res.rawReadings} readings in ${((Date.now() - t0) / 1000).toFixed(1)} s.\n`,
    );
    const fees = createFeeDays({
      registry,
      tariffs: tariffs.value,
      target,
      sink: writer,
      log,
      ...feeSettings(config),
      prices: registry.prices,
    });
    const f = await fees.recompute(
      meters.map((m) => m.id),
      r.fees.fromMs,
      r.fees.toMs,
    );
    err(`Fees per meter and day (fee_1d) recomputed: ${f.points} points for ${f.days} days.\n`);
    return 0;
  } finally {
    await writer.stop();
  }
}
