/**
 * Node-RED as a drain consumer (issue 27): installed on demand under <repo>/.bench-cache/node-red (never a
 * project dependency: `npm ci` stays as it is), run headless as its own process on the flow of
 * bench/node-red-flow.ts with a generated settings file in a temp userDir.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../src/util/free-port.ts';
import { procStatusKb } from '../test/helpers/service-process.ts';
import { nodeRedFlow, nodeRedSettings } from './node-red-flow.ts';

/** The versions issue 27 measured: Node-RED 4's batch flow. */
export const NODE_RED_PACKAGES = { 'node-red': '4.1.8', 'node-red-contrib-influxdb': '0.7.0' } as const;

export type NodeRedInstall = { ok: true; redJs: string } | { ok: false; reason: string };

const installedVersion = (dir: string, pkg: string): string | undefined => {
  try {
    const doc = JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as {
      version?: string;
    };
    return doc.version;
  } catch {
    return undefined;
  }
};

const missing = (dir: string) =>
  Object.entries(NODE_RED_PACKAGES).filter(([pkg, v]) => installedVersion(dir, pkg) !== v);

/**
 * Node-RED and the influxdb nodes at NODE_RED_PACKAGES' versions, installed with npm when missing; when npm
 * cannot install them (no registry), the reason, for the bench to print and record (it then skips Node-RED).
 */
export function ensureNodeRed(root: string): NodeRedInstall {
  const dir = join(root, '.bench-cache', 'node-red');
  if (missing(dir).length > 0) {
    const specs = Object.entries(NODE_RED_PACKAGES).map(([pkg, v]) => `${pkg}@${v}`);
    console.error(`  installing ${specs.join(' ')} into ${dir} (not a project dependency) ...`);
    const res = spawnSync(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '--fetch-retries=1', '--fetch-timeout=30000'].concat([
        '--prefix',
        dir,
        ...specs,
      ]),
      { cwd: root, encoding: 'utf8', timeout: 600_000 },
    );
    const left = missing(dir);
    if (res.status !== 0 || left.length > 0) {
      // npm's first lines say what failed (code, and the request with its reason); the rest is a stack.
      const lines = `${res.stderr ?? ''}`.trim().split('\n');
      const said = lines.filter((l) => /npm error (code|FetchError|\d{3}|notarget|network)/i.test(l));
      const shown = (said.length > 0 ? said : lines.slice(-3)).slice(0, 3).join(' | ');
      const why = (res.error?.message ?? shown).slice(0, 400);
      return {
        ok: false,
        reason: `npm install ${specs.join(' ')} failed (exit ${res.status ?? 'none'}): ${why || 'no output'}`,
      };
    }
  }
  const redJs = join(dir, 'node_modules', 'node-red', 'red.js');
  return existsSync(redJs) ? { ok: true, redJs } : { ok: false, reason: `${redJs} missing after install` };
}

export interface NodeRedProcess {
  readonly pid: number;
  peakRssMb(): number;
  /** Its last log lines (for failure messages). */
  logTail(): string;
  /** SIGTERM (Node-RED stops its flows, the session stays), SIGKILL after 20 s; the userDir removed. */
  stop(): Promise<void>;
}

/**
 * Node-RED on the batch flow, its own process; resolves once it logged "Connected to broker" (the flows are
 * started and the mqtt in node subscribes at once on that connection): the point its idle start-up is measured to.
 */
export async function startNodeRed(
  redJs: string,
  o: { mqttUrl: string; clientId: string; influxUrl: string; database: string },
): Promise<NodeRedProcess> {
  const userDir = mkdtempSync(join(tmpdir(), 'kzm-drain-nodered-'));
  const broker = new URL(o.mqttUrl);
  const influx = new URL(o.influxUrl);
  const flow = nodeRedFlow({
    broker: { host: broker.hostname, port: Number(broker.port) },
    clientId: o.clientId,
    influx: { host: influx.hostname, port: Number(influx.port), database: o.database },
  });
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flow));
  const settings = join(userDir, 'settings.js');
  writeFileSync(settings, nodeRedSettings({ userDir, uiPort: await freePort() }));
  const child: ChildProcess = spawn(process.execPath, [redJs, '--settings', settings, '--userDir', userDir], {
    cwd: userDir,
    env: { PATH: process.env.PATH ?? '', HOME: userDir, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let peakKb = 0;
  const sample = setInterval(() => (peakKb = Math.max(peakKb, procStatusKb(child.pid!, 'VmHWM'))), 100);
  const stop = async () => {
    clearInterval(sample);
    peakKb = Math.max(peakKb, procStatusKb(child.pid!, 'VmHWM'));
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(force);
    rmSync(userDir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Node-RED did not connect in 60 s: ${tail}`)), 60_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        tail = (tail + line + '\n').slice(-4000);
        if (line.includes('Connected to broker')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(() => reject(new Error(`Node-RED exited before it connected: ${tail}`)));
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid: child.pid!,
    peakRssMb: () => Math.max(peakKb, procStatusKb(child.pid!, 'VmHWM')) / 1024,
    logTail: () => tail,
    stop,
  };
}
