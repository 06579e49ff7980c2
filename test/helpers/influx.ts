import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { influxTarget, type InfluxTarget } from '../../src/store/influx-target.ts';
import { createLocalInflux } from '../../src/store/local-influxd.ts';
import { ensureDatabase } from '../../src/store/setup.ts';

export interface TestInflux {
  readonly url: string;
  /** A fresh database on this server, created. */
  database(name?: string): Promise<InfluxTarget>;
  stop(): Promise<void>;
}

let dbSeq = 0;

/** A real InfluxDB 1.x (Debian's influxd) on a free loopback port with data in a temp dir. */
export async function startInflux(opts: { authEnabled?: boolean } = {}): Promise<TestInflux> {
  const dir = mkdtempSync(join(tmpdir(), 'kzm-influx-'));
  const influx = createLocalInflux({ dataDir: dir, ...opts });
  await influx.start();
  const log = pino({ level: 'silent' });
  return {
    url: influx.url,
    async database(name) {
      const db = name ?? `test_${process.pid}_${++dbSeq}_${Date.now() % 100000}`;
      const cfg = loadConfig({ env: {}, overrides: { influx: { database: db } } });
      const target = influxTarget(cfg.influx, influx.url);
      await ensureDatabase(target, log);
      return target;
    },
    async stop() {
      await influx.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
