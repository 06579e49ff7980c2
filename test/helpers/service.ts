import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import type { Registry } from '../../src/registry/types.ts';
import { createService, type Service } from '../../src/service.ts';
import { influxql, rows } from '../../src/store/query/client.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { eventually } from './eventually.ts';

// Kept here for the benches (bench/*.ts import it from this file); tests import it from ./eventually.ts.
export { eventually } from './eventually.ts';

export const DEVICES_DIR = join(import.meta.dirname, '../../devices');

/** The real service on free ports (HTTP 0, embedded broker 0) against a given InfluxDB database. */
export async function startService(
  target: InfluxTarget,
  overrides: ConfigInput = {},
  registry?: Registry,
  logger?: Logger,
): Promise<Service & { cleanup(): Promise<void> }> {
  // A given dataDir (a restart on the same disk) is kept; a fresh one is removed by cleanup().
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'kzm-svc-'));
  const config = loadConfig({
    env: {},
    overrides: {
      ...overrides,
      dataDir,
      registryDir: DEVICES_DIR,
      // Lab-only, as for MQTT below: HTTP tests not about people act as the anonymous admin.
      http: { port: 0, allowAnonymous: true, ...overrides.http },
      // Lab-only: tests that are not about identities connect without credentials (test/integration/mqtt-auth*
      // are, and set allowAnonymous: false with their own credentials file).
      mqtt: { embeddedPort: 0, allowAnonymous: true, ...overrides.mqtt },
      influx: { url: target.url, database: target.database, ...overrides.influx },
    } as Record<string, unknown>,
  });
  const log = logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const svc = createService(config, registry ?? loadRegistry(config.registryDir), log);
  try {
    await svc.start();
  } catch (err) {
    await svc.stop();
    if (!overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return Object.assign(svc, {
    async cleanup() {
      await svc.stop();
      if (!overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** The writer has no line waiting: what was handed to it is in InfluxDB (a clear error if not by the deadline). */
export async function writerDrained(svc: Pick<Service, 'writer'>, timeoutMs = 10_000): Promise<void> {
  await eventually(
    () => svc.writer.state().pendingLines,
    (n) => n === 0,
    timeoutMs,
    'the writer to drain',
  );
}

export async function queryRows(target: InfluxTarget, q: string): Promise<Record<string, unknown>[]> {
  const series = await influxql(target, q);
  return series.flatMap((s) => rows(s).map((r) => ({ ...s.tags, ...r })));
}
