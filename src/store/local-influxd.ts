import { pingInflux } from './ping.ts';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { freePort } from '../util/free-port.ts';
import { KzmError } from '../util/errors.ts';
import { holdsListener } from '../util/listener-owner.ts';

export class LocalInfluxError extends KzmError {
  constructor(message: string) {
    super(message, { code: 'local-influxd-failed' });
  }
}

export interface LocalInflux {
  readonly url: string;
  readonly dataDir: string;
  /** The influxd process id while it runs (drills stop and kill it). */
  readonly pid: number | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Is `bin` an InfluxDB 1.x influxd on PATH? Returns its version line, or undefined when missing. */
export function influxdVersion(bin: string): string | undefined {
  const r = spawnSync(bin, ['version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.trim();
}

function configToml(dir: string, httpPort: number, rpcPort: number, authEnabled: boolean): string {
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${join(dir, 'meta')}"
[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
  # ingest keeps WAL fsync on (wal-fsync-delay 0): an acknowledged reading is on disk
  wal-fsync-delay = "0s"
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
  max-body-size = 0
  auth-enabled = ${authEnabled}
[logging]
  level = "warn"
[continuous_queries]
  log-enabled = false
`;
}

/** An InfluxQL statement over /query; the answer's status and error only (never echoes the statement). */
async function adminQuery(url: string, q: string, authorization?: string): Promise<{ status: number; error?: string }> {
  const res = await fetch(`${url}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization && { authorization }) },
    body: new URLSearchParams({ q }).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json().catch(() => ({}))) as { error?: string; results?: { error?: string }[] };
  const error = body.error ?? body.results?.[0]?.error;
  return { status: res.status, ...(error && { error }) };
}

/**
 * With auth-enabled, the first user must be an admin created without credentials (InfluxDB 1.x allows exactly
 * that while no user exists). Later starts find it: the credentials are checked, never re-created.
 */
async function ensureAdmin(
  url: string,
  admin: { username: string; password: string },
  where: string,
): Promise<boolean> {
  const basic = `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`;
  const check = await adminQuery(url, 'SHOW USERS', basic);
  if (check.status === 200 && !check.error) return false;
  // The password is generated base64url (no quote can end the literal); the statement is never logged.
  const made = await adminQuery(
    url,
    `CREATE USER "${admin.username}" WITH PASSWORD '${admin.password}' WITH ALL PRIVILEGES`,
  );
  if (made.status === 200 && !made.error) return true;
  throw new LocalInfluxError(
    `the local InfluxDB (${where}) has users, and the admin credentials the service keeps are refused (HTTP ${check.status}): restore the credentials file from a backup (it was created with this data), or start with KZM_INFLUX_URL and your own credentials`,
  );
}

/** Its whole process group (it leads one: spawned detached), so a wrapper's own child influxd stops with it. */
function signalGroup(c: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (c.pid !== undefined) return void process.kill(-c.pid, signal);
  } catch {
    // no such group (already gone): signal the process itself
  }
  c.kill(signal);
}

/**
 * Run InfluxDB 1.x (Debian's `influxdb` package) as a child process: data under `dataDir`, HTTP on a
 * free loopback port. Used by `serve` when no KZM_INFLUX_URL is set (with `admin`: authentication on, issue 21
 * F9), and by the tests (their own unauthenticated one unless they ask).
 */
export function createLocalInflux(opts: {
  dataDir: string;
  bin?: string;
  log?: Logger;
  port?: number;
  /** HTTP basic/query auth on (tests of refused credentials); the first user must be created as admin. */
  authEnabled?: boolean;
  /** Authentication on, with this admin: created at the first start, checked at every later one. */
  admin?: { username: string; password: string };
}): LocalInflux {
  const bin = opts.bin ?? 'influxd';
  const dataDir = resolve(opts.dataDir);
  let child: ChildProcess | undefined;
  let url = '';
  let stderrTail = '';
  return {
    get url() {
      return url;
    },
    dataDir,
    get pid() {
      return child?.exitCode === null ? child.pid : undefined;
    },
    async start() {
      const version = influxdVersion(bin);
      if (!version) {
        throw new LocalInfluxError(
          `"${bin}" was not found or does not run. Install InfluxDB (Debian: sudo apt-get install influxdb) or point the service at a running server with KZM_INFLUX_URL=http://host:8086 (and KZM_INFLUX_API_VERSION=1|2|3).`,
        );
      }
      if (!/v?1\./.test(version)) {
        throw new LocalInfluxError(
          `"${bin}" is ${version}; the local launcher runs InfluxDB 1.x. For 2.x/3.x start the server yourself and set KZM_INFLUX_URL.`,
        );
      }
      // Free ports are picked, then bound by influxd: another process may take one in between (a shared
      // machine, a drill restarting its influxd on its port). Then pick again, up to three times.
      const launch = async () => {
        mkdirSync(dataDir, { recursive: true, mode: 0o700 });
        chmodSync(dataDir, 0o700);
        const httpPort = opts.port ?? (await freePort());
        const rpcPort = await freePort();
        const conf = join(dataDir, 'influxd.conf');
        writeFileSync(conf, configToml(dataDir, httpPort, rpcPort, opts.authEnabled ?? opts.admin !== undefined));
        url = `http://127.0.0.1:${httpPort}`;
        // Own process group: a Ctrl-C at the terminal reaches the service, which then stops influxd last,
        // after the writer has drained. If the service dies without stopping it, the exit hook kills it.
        child = spawn(bin, ['-config', conf], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
        const orphanGuard = () => child && signalGroup(child, 'SIGKILL');
        process.once('exit', orphanGuard);
        child.once('exit', () => process.off('exit', orphanGuard));
        child.stderr?.on('data', (d: Buffer) => {
          stderrTail = (stderrTail + d.toString()).slice(-2000);
        });
        let onEarlyExit: (code: number | null) => void = () => {};
        const exited = new Promise<never>((_, reject) => {
          onEarlyExit = (code) =>
            reject(
              new LocalInfluxError(
                `influxd exited with code ${code} during start-up: ${stderrTail.trim().slice(-500)}`,
              ),
            );
        });
        child.once('exit', onEarlyExit);
        const ready = (async () => {
          const until = Date.now() + 30_000;
          let foreign = false;
          while (Date.now() < until) {
            // Ours, not another server that took the port before influxd bound it (ours then exits unseen).
            if ((await pingInflux(url, 1000)).ok) {
              if (holdsListener(child!.pid!, httpPort, { processGroup: true }) !== false) return;
              foreign = true;
            }
            await new Promise((r) => setTimeout(r, 100));
          }
          throw new LocalInfluxError(
            foreign
              ? `another process answers on ${url}, not the influxd started here (pid ${child!.pid}): free the port or set another`
              : `influxd did not answer on ${url} within 30 s: ${stderrTail.trim().slice(-500)}`,
          );
        })();
        await Promise.race([ready, exited]);
        child.off('exit', onEarlyExit);
      };
      for (let attempt = 1; ; attempt++) {
        try {
          await launch();
          break;
        } catch (err) {
          if (attempt >= 3 || !/address already in use/.test((err as Error).message)) throw err;
          stderrTail = '';
        }
      }
      const created = opts.admin ? await ensureAdmin(url, opts.admin, dataDir) : false;
      if (created) opts.log?.info({ username: opts.admin!.username }, 'Local InfluxDB admin user created.');
      opts.log?.info({ url, dataDir, version, auth: opts.admin !== undefined }, 'Local InfluxDB started.');
    },
    async stop() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((res) => {
        const kill = setTimeout(() => signalGroup(c, 'SIGKILL'), 10_000);
        c.once('exit', () => {
          clearTimeout(kill);
          res();
        });
        signalGroup(c, 'SIGTERM');
      });
      opts.log?.info('Local InfluxDB stopped.');
    },
  };
}
