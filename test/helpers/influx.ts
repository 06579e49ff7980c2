import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
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

export interface UsedInflux {
  /** The server's base URL. */
  readonly url: string;
  /** The database created for this file (or describe block) before its tests ran. */
  target(): InfluxTarget;
  /** A further fresh database on the same server. */
  database(name?: string): Promise<InfluxTarget>;
}

/**
 * One real influxd for the enclosing file or describe block: started (with one database, `target()`) in a
 * beforeAll registered here, stopped in an afterAll. Call it before the block's own hooks: vitest runs
 * beforeAll hooks in order and afterAll hooks in reverse, so a service a later hook starts on it is stopped
 * before influxd is. `authEnabled`: no database is made (there is no user yet); `target()` is then refused.
 */
export function useInflux(opts: { authEnabled?: boolean } = {}): UsedInflux {
  let server: TestInflux | undefined;
  let first: InfluxTarget | undefined;
  beforeAll(async () => {
    server = await startInflux(opts);
    if (!opts.authEnabled) first = await server.database();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  const started = (): TestInflux => {
    if (!server) throw new Error('useInflux(): influxd is not started yet (use it inside a test or a later hook)');
    return server;
  };
  return {
    get url() {
      return started().url;
    },
    target() {
      started();
      if (!first) throw new Error('useInflux({ authEnabled: true }) makes no database (there is no user yet)');
      return first;
    },
    database: (name) => started().database(name),
  };
}
