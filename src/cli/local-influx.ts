/**
 * Where `kzmeter serve` tells the other commands about the InfluxDB it started itself: without
 * KZM_INFLUX_URL, serve starts a local influxd on a free port and writes its address to
 * <dataDir>/local-influx.json; ledger, close, export, ... read it when no URL is configured, so
 * `npm run cli -- ledger --period 2025-Q3` works next to `npm start` without copying a port from the log.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const FILE = 'local-influx.json';

const schema = z.strictObject({ url: z.url(), database: z.string().min(1), pid: z.number().int().positive() });
export type LocalInflux = z.infer<typeof schema>;

export const localInfluxFile = (dataDir: string): string => join(dataDir, FILE);

export function writeLocalInflux(dataDir: string, info: LocalInflux): void {
  writeFileSync(localInfluxFile(dataDir), `${JSON.stringify(info, null, 2)}\n`);
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

/** The InfluxDB URL a command should read: the configured one, else the one `serve` started. */
export function influxUrlOf(config: { dataDir: string; influx: { url?: string | undefined } }): string | undefined {
  return config.influx.url ?? readLocalInflux(config.dataDir)?.url;
}

/** The sentence a command prints when it finds no InfluxDB. */
export const NO_INFLUX =
  'No InfluxDB to read: start the service (npm start: it writes the address of the InfluxDB it starts to ' +
  `<dataDir>/${FILE}), or set KZM_INFLUX_URL (e.g. http://127.0.0.1:8086, and KZM_INFLUX_DATABASE if not "kzmeter") ` +
  'or influx.url in the --config file.';
