/**
 * Where `kzmeter serve` tells the other commands about the InfluxDB it started itself: without
 * KZM_INFLUX_URL, serve starts a local influxd on a free port and writes its address to
 * <dataDir>/local-influx.json; ledger, close, export, ... read it when no URL is configured, so
 * `npm run cli -- ledger --period 2025-Q3` works next to `npm start` without copying a port from the log.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import { influxTarget, type InfluxTarget } from '../store/influx-target.ts';
import { readLocalInfluxCredentials } from '../store/local-influx-credentials.ts';

const FILE = 'local-influx.json';

const schema = z.strictObject({ url: z.url(), database: z.string().min(1), pid: z.number().int().positive() });
export type LocalInflux = z.infer<typeof schema>;

export const localInfluxFile = (dataDir: string): string => join(dataDir, FILE);

/** Address, database and pid only: no secret (the credentials are in their own file), and 0600 all the same. */
export function writeLocalInflux(dataDir: string, info: LocalInflux): void {
  const file = localInfluxFile(dataDir);
  rmSync(file, { force: true }); // a file left by an older version keeps its mode: write it anew
  writeFileSync(file, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

export function removeLocalInflux(dataDir: string): void {
  rmSync(localInfluxFile(dataDir), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The address a running `serve` wrote, or undefined (no file, unreadable, or its service has stopped). */
export function readLocalInflux(dataDir: string): LocalInflux | undefined {
  let text: string;
  try {
    text = readFileSync(localInfluxFile(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = schema.safeParse(json);
  return r.success && alive(r.data.pid) ? r.data : undefined;
}

/**
 * The InfluxDB a command should talk to: the configured one, else the one `serve` started, with the admin
 * credentials serve generated for it (readable only by the user the service runs as).
 */
export function influxTargetOf(config: Pick<Config, 'dataDir' | 'influx'>): InfluxTarget | undefined {
  if (config.influx.url) return influxTarget(config.influx, config.influx.url);
  const local = readLocalInflux(config.dataDir);
  if (!local) return undefined;
  const creds = readLocalInfluxCredentials(config.dataDir);
  return influxTarget(
    { ...config.influx, ...(creds && { username: creds.username, password: creds.password }) },
    local.url,
  );
}

/** The sentence a command prints when it finds no InfluxDB. */
export const NO_INFLUX =
  'No InfluxDB to read: start the service (npm start: it writes the address of the InfluxDB it starts to ' +
  `<dataDir>/${FILE}), or set KZM_INFLUX_URL (e.g. http://127.0.0.1:8086, and KZM_INFLUX_DATABASE if not "kzmeter") ` +
  'or influx.url in the --config file.';
