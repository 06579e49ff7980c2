/**
 * `kzmeter serve` in a child process, configured by KZM_* variables, so a test can kill it (SIGKILL) the
 * way an operating system or an operator does, and start it again on the same data dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const REPO_DIR = join(import.meta.dirname, '../..');

export interface ServeProcess {
  readonly httpUrl: string;
  readonly pid: number;
  /** Everything it logged (JSON lines), for assertions and failure messages. */
  log(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the service and resolves once it logged "Service started." (or rejects with its log). */
export async function startServeProcess(
  env: Record<string, string>,
  timeoutMs = 30_000,
  nodeArgs: readonly string[] = [],
): Promise<ServeProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', 'src/cli/main.ts', 'serve', '--json'],
    {
      cwd: REPO_DIR,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        KZM_LOG_LEVEL: 'info',
        // Lab-only, as in test/helpers/service.ts: tests not about identities read /metrics without a token
        // and publish without credentials; a test about them overrides these.
        KZM_HTTP_ALLOW_ANONYMOUS: 'true',
        KZM_MQTT_ALLOW_ANONYMOUS: 'true',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const httpUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      const line = out.split('\n').find((l) => l.includes('"Service started."'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { http: string }).http);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} during start:\n${out}`));
    });
  });
  return {
    httpUrl,
    pid: child.pid!,
    log: () => out,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
