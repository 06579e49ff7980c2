/**
 * A real PostgreSQL for tests (issue 25): Debian's server binaries (/usr/lib/postgresql/<major>/bin), a cluster
 * made by initdb in a temp dir, `postgres` on a free loopback port with its unix socket in the temp dir, password
 * authentication over TCP (so tests can check the password never shows), torn down after. Nothing is skipped: a
 * machine without PostgreSQL fails with the command that installs it. As root (CI containers) the server runs as
 * the `postgres` user (it refuses root), via setpriv so the pid stays the server's own.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { eventually } from './eventually.ts';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from '../../src/util/free-port.ts';

export interface TestPostgres {
  /** postgres://kzm:<password>@127.0.0.1:<port>/<db> */
  url(db?: string): string;
  readonly password: string;
  /** A fresh, empty database on this server; its URL. */
  database(name?: string): Promise<string>;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'postgres'))) : [];
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest)
    throw new Error(
      'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres): run "bash scripts/ensure-system-deps.sh postgresql" (apt-get install postgresql)',
    );
  return join(root, newest, 'bin');
}

/** The command as the postgres user when we are root (setpriv execs: the pid is the server's). */
function asServerUser(cmd: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [cmd, args];
  const uid = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
  const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
  return ['setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', cmd, ...args]];
}

function chownTree(dir: string): void {
  if (process.getuid?.() !== 0) return;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
  chownSync(dir, uid, gid);
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) chownSync(join(dir, f), uid, gid);
}

/** Until postgres accepts a connection (the error of the last try, or its exit, in the failure). */
async function waitReady(url: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const tryConnect = async (): Promise<string | undefined> => {
    if (child.exitCode !== null) throw new Error(`postgres exited (${child.exitCode}):\n${log()}`);
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      return undefined;
    } catch (err) {
      return String(err);
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  await eventually(tryConnect, (err) => err === undefined, timeoutMs, {
    what: 'postgres to accept connections',
    intervalMs: 50,
  }).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\n${log()}`, { cause: err });
  });
}

let dbSeq = 0;

export async function startPostgres(): Promise<TestPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'kzm-pg-'));
  const data = join(dir, 'data');
  const sock = join(dir, 'sock');
  mkdirSync(sock);
  const password = `kzm-pg-${randomBytes(12).toString('hex')}`;
  writeFileSync(join(dir, 'pw'), `${password}\n`);
  chownTree(dir);
  const [initCmd, initArgs] = asServerUser(join(bin, 'initdb'), [
    ...['-D', data, '-U', 'kzm', `--pwfile=${join(dir, 'pw')}`],
    ...['--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--no-locale', '--no-sync'],
  ]);
  execFileSync(initCmd, initArgs, { stdio: 'pipe' });
  rmSync(join(dir, 'pw'));
  const port = await freePort();
  const [cmd, args] = asServerUser(join(bin, 'postgres'), [
    ...['-D', data, '-p', String(port), '-k', sock, '-h', '127.0.0.1'],
    // a test cluster: durability is not what is tested here
    ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  ]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
  const url = (db = 'postgres') => `postgres://kzm:${password}@127.0.0.1:${port}/${db}`;
  await waitReady(url(), child, () => out, 30_000);
  return {
    url,
    password,
    async database(name) {
      const db = name ?? `kzm_test_${process.pid}_${++dbSeq}`;
      const c = new pg.Client({ connectionString: url() });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${db}"`);
      } finally {
        await c.end();
      }
      return url(db);
    },
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT'); // PostgreSQL's fast shutdown
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One PostgreSQL for the enclosing file or describe block (started in beforeAll, stopped in afterAll). */
export function usePostgres(): { get(): TestPostgres } {
  let server: TestPostgres | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get() {
      if (!server)
        throw new Error('usePostgres(): PostgreSQL is not started yet (use it inside a test or a later hook)');
      return server;
    },
  };
}
