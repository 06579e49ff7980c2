import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEVICES_DIR } from './service.ts';

const ROOT = join(import.meta.dirname, '../..');

/** The Node flags the service is launched with (test/unit/deploy/launch-memory.test.ts holds every path to it). */
export const SERVICE_NODE_OPTIONS = '--max-old-space-size=256';

export interface ServiceProcess {
  readonly pid: number;
  readonly httpUrl: string;
  /** Highest peak RSS (VmHWM) seen, in bytes. */
  peakRssBytes(): number;
  /** SIGKILL (a crash) or SIGTERM (a clean stop); resolves once the process is gone. */
  kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Last lines the service logged (for failure messages). */
  logTail(): string;
  /** Every JSON log line so far (the first 50,000), parsed: drills count lines per level and message. */
  logLines(): readonly LogLine[];
  /** Everything the process wrote so far (up to 4 MB each): stdout (the JSON log) and stderr (the terminal). */
  output(): { stdout: string; stderr: string };
}

/** A pino line of the service: level (30 info, 40 warn, 50 error), component, msg and its fields. */
export interface LogLine {
  readonly level: number;
  readonly time: number;
  readonly msg: string;
  readonly component?: string;
  readonly [field: string]: unknown;
}

const MAX_LOG_LINES = 50_000;
const OUTPUT_MAX = 4 * 1024 * 1024;

/** A memory field of a process from /proc/<pid>/status, in kB; 0 when gone. */
export function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** VmHWM (peak resident set) of a process, in bytes; 0 when gone. */
export const peakRss = (pid: number): number => procStatusKb(pid, 'VmHWM') * 1024;

/**
 * `kzmeter serve` as its own process (so a drill can SIGKILL it and measure its memory), configured by KZM_*
 * environment variables; resolves once it logged "Service started.".
 */
export async function spawnService(env: Record<string, string>, timeoutMs = 60_000): Promise<ServiceProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--json'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      KZM_REGISTRY_DIR: DEVICES_DIR,
      KZM_LOG_LEVEL: 'info',
      // Lab-only, as in test/helpers/service.ts: drills not about identities read /metrics without a token and
      // publish without credentials; a test about them overrides these.
      KZM_HTTP_ALLOW_ANONYMOUS: 'true',
      KZM_MQTT_ALLOW_ANONYMOUS: 'true',
      // As the service is launched (package.json, Dockerfile): its heap capped.
      NODE_OPTIONS: SERVICE_NODE_OPTIONS,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const out = { stdout: '', stderr: '' };
  const keep = (k: 'stdout' | 'stderr', d: Buffer) => {
    if (out[k].length < OUTPUT_MAX) out[k] += d.toString();
  };
  let httpUrl = '';
  const lines: LogLine[] = [];
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, peakRss(child.pid!))), 100);
  sample.unref();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  void exited.then(() => clearInterval(sample));
  const started = new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      keep('stdout', d);
      buf += d.toString();
      tail = (tail + d.toString()).slice(-4000);
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (lines.length < MAX_LOG_LINES && line.startsWith('{')) {
          try {
            lines.push(JSON.parse(line) as LogLine);
          } catch {
            /* not a log line */
          }
        }
        if (!line.includes('"Service started."')) continue;
        httpUrl = (JSON.parse(line) as { http: string }).http;
        resolve();
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      keep('stderr', d);
      tail = (tail + d.toString()).slice(-4000);
    });
    void exited.then(() => reject(new Error(`service exited before it started: ${tail}`)));
    setTimeout(() => reject(new Error(`service did not start in ${timeoutMs} ms: ${tail}`)), timeoutMs).unref();
  });
  try {
    await started;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    pid: child.pid!,
    httpUrl,
    peakRssBytes: () => Math.max(peak, peakRss(child.pid!)),
    async kill(signal) {
      peak = Math.max(peak, peakRss(child.pid!));
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      // A clean stop gets 40 s (writer and spool drain up to 15 s each), then it is killed: never an orphan.
      const force = setTimeout(() => child.kill('SIGKILL'), 40_000);
      await exited;
      clearTimeout(force);
    },
    logTail: () => tail,
    logLines: () => lines,
    output: () => ({ ...out }),
  };
}
