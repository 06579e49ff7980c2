/** What the state tests (backup/restore, two instances) share: a config file, a printed CLI run, a meter's readings. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { periodsMain } from '../../src/cli/periods.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { steadyReadings, writeLines } from '../unit/periods/fixtures.ts';
import { DEVICES_DIR } from './service.ts';

/** `<root>/<name>.yaml`: data dir `<root>/<name>`, the test registry and tariffs, this InfluxDB, a state URL if any. */
export function writeStateConfig(root: string, name: string, influx: InfluxTarget, stateUrl?: string): string {
  const file = join(root, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `dataDir: ${join(root, name)}`,
      `registryDir: ${DEVICES_DIR}`,
      `tariffsDir: ${join(DEVICES_DIR, '..', 'tariffs')}`,
      'influx:',
      `  url: ${influx.url}`,
      `  database: ${influx.database}`,
      ...(stateUrl ? ['state:', `  url: ${stateUrl}`] : []),
    ].join('\n'),
  );
  return file;
}

/** A CLI main run with its printed lines captured. */
export async function printed(f: (print: (s: string) => void) => Promise<number>) {
  const out: string[] = [];
  const code = await f((s) => out.push(s));
  return { code, out: out.join('\n'), last: out.at(-1) ?? '' };
}

/** `kzmeter close` then `kzmeter export --format json` of a period through the CLI's mains. */
export async function closeAndExport(config: string, period: string, by: string, acknowledgement: string) {
  const close = await printed((p) =>
    periodsMain(
      'close',
      ['--period', period, '--by', by, '--acknowledge', acknowledgement, '--config', config],
      undefined,
      p,
    ),
  );
  const exported = await printed((p) =>
    periodsMain('export', ['--period', period, '--format', 'json', '--config', config], undefined, p),
  );
  return { close, exported };
}

/**
 * ekb-1-m01's readings at 90% of its newest max load from a minute before fromMs to a minute after toMs, each
 * arriving a second after its time, written around the service with their rollups.
 */
export async function writeSteadyM01(target: InfluxTarget, fromMs: number, toMs: number): Promise<void> {
  const m = loadRegistry(DEVICES_DIR).meterById.get('ekb-1-m01')!;
  const powerW = Math.floor(m.maxLoad.at(-1)!.maxLoadW * 0.9);
  const lines = steadyReadings(
    m.id,
    m.siteId,
    fromMs - 60_000,
    toMs + 60_000,
    m.reportingIntervalS * 1000,
    powerW,
    (t) => t + 1_000,
  );
  await writeLines(target, lines);
}
