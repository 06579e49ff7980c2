import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/util/free-port.ts';
import { holdsListener } from '../../src/util/listener-owner.ts';
import { eventually } from './eventually.ts';

export interface TestMosquitto {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const MOSQUITTO = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

/** Debian's mosquitto on a free loopback port, persistence in a temp dir, unlimited in-flight window. */
export async function startMosquitto(extraConf = ''): Promise<TestMosquitto> {
  return startMosquittoWith(
    (dir) => `persistence true
persistence_location ${dir}/
max_inflight_messages 0
max_queued_messages 0
${extraConf}`,
  );
}

/**
 * Debian's mosquitto with a given configuration body (`conf(dir)`, dir = its temp dir for persistence), plus a
 * loopback listener on a free port, anonymous access and no log file. `port` reuses a port (a restart).
 */
export async function startMosquittoWith(
  conf: (dir: string) => string,
  port?: number,
  dir?: string,
): Promise<TestMosquitto> {
  dir ??= mkdtempSync(join(tmpdir(), 'kzm-mosq-'));
  // A port picked free may be taken by another server before mosquitto binds it: then pick again (up to 3 times).
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchMosquitto(conf, port ?? (await freePort()), dir);
    } catch (err) {
      if (port !== undefined || attempt >= 3 || !/Address already in use/i.test((err as Error).message)) throw err;
    }
  }
}

async function launchMosquitto(conf: (dir: string) => string, port: number, dir: string): Promise<TestMosquitto> {
  const confFile = join(dir, 'mosquitto.conf');
  writeFileSync(
    confFile,
    `listener ${port} 127.0.0.1
allow_anonymous true
log_dest stderr
log_type error
${conf(dir)}
`,
  );
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000); // errors only (log_type error); kept bounded
  });
  const accepts = () =>
    new Promise<boolean>((r) => {
      const s = createConnection(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
  await eventually(
    async () => {
      if (child.exitCode !== null)
        throw new Error(`mosquitto exited (${child.exitCode}): ${stderr} — install it with apt-get install mosquitto`);
      // ours, not another server that took the port first (ours would then exit, unseen until later)
      return (await accepts()) && holdsListener(child.pid!, port) !== false;
    },
    Boolean,
    10_000,
    { what: `mosquitto to listen on ${port}`, show: () => `not listening; stderr: ${stderr}`, intervalMs: 50 },
  );
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null) {
        await new Promise<void>((r) => {
          child.once('exit', () => r());
          child.kill('SIGTERM');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's mosquitto, started as root, drops to this user: the one `broker-config --owner` must name. */
export const MOSQUITTO_USER = 'mosquitto';

/** `--owner mosquitto` when the tests run as root (mosquitto then drops to its user); else nothing is needed. */
export function brokerConfigOwnerArgs(): string[] {
  if (process.getuid?.() !== 0) return [];
  try {
    execFileSync('id', ['-u', MOSQUITTO_USER], { stdio: 'ignore' });
    return ['--owner', MOSQUITTO_USER];
  } catch {
    return [];
  }
}
