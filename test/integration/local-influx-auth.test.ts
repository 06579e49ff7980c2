import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localInfluxCredentialsFile } from '../../src/store/local-influx-credentials.ts';
import { freePort } from '../../src/util/free-port.ts';
import { spawnService, type ServiceProcess } from '../helpers/service-process.ts';
import { eventually } from '../helpers/service.ts';

/**
 * Issue 21 F9: the influxd that `serve` starts had no authentication, its address was in the public /health and
 * in a world-readable local-influx.json: any local user could POST /write a reading for any meter (204, stored).
 * Now it runs with auth-enabled, generated admin credentials in a 0600 file, local-influx.json is 0600 and holds
 * no secret, and a /write without credentials is 401. (Tests keep their own unauthenticated influxd: this one is
 * the service's.)
 */
const ROOT = join(import.meta.dirname, '../..');
const mode = (p: string) => statSync(p).mode & 0o777;

describe('F9: the local influxd started by serve requires credentials', () => {
  let dataDir: string;
  let svc: ServiceProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kzm-local-influx-'));
    env = {
      KZM_DATA_DIR: dataDir,
      KZM_HTTP_PORT: String(await freePort()),
      KZM_MQTT_EMBEDDED_PORT: String(await freePort()),
    };
    svc = await spawnService(env);
  }, 90_000);
  afterAll(async () => {
    await svc?.kill('SIGTERM');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** serve writes it right after its "Service started." line: wait for it. */
  const info = async () => {
    const file = join(dataDir, 'local-influx.json');
    await eventually(async () => existsSync(file), Boolean);
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  };
  const write = (url: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/write?db=kzmeter`, {
      method: 'POST',
      headers,
      body: `reading,meter=ekb-1-m01,site=ekb-1 wh=999999i,fault=0i ${Date.now()}000000`,
    });

  it('a local user posting /write without credentials gets 401 (was: 204 and the reading stored)', async () => {
    const url = (await info()).url as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await write(url);
    expect(res.status).toBe(401);
    const wrong = await write(url, { authorization: `Basic ${Buffer.from('admin:guess').toString('base64')}` });
    expect(wrong.status).toBe(401);
  });

  it('local-influx.json is 0600 and holds no secret; the generated credentials are in their own 0600 file', async () => {
    await info();
    const file = join(dataDir, 'local-influx.json');
    expect(mode(file)).toBe(0o600);
    const creds = JSON.parse(readFileSync(localInfluxCredentialsFile(dataDir), 'utf8')) as {
      username: string;
      password: string;
    };
    expect(mode(localInfluxCredentialsFile(dataDir))).toBe(0o600);
    expect(creds.password.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(file, 'utf8')).not.toContain(creds.password);
    expect(mode(dataDir) & 0o077).toBe(0);
  });

  it('the service itself writes and reads with them: /health is ok, and the CLI next to it reads the ledger', async () => {
    const h = (await (await fetch(`${svc.httpUrl}/health`)).json()) as { status: string };
    expect(h.status).toBe('ok');
    const cli = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'ledger', '--period', '2025-Q3', '--format', 'json'],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', KZM_DATA_DIR: dataDir, KZM_REGISTRY_DIR: 'devices' },
        encoding: 'utf8',
      },
    );
    expect(cli.stderr).not.toMatch(/401|unauthorized|authorization failed/i);
    expect(cli.status).toBe(0);
  }, 60_000);

  it('a restart on the same data dir reuses the credentials (the admin user exists in influxd already)', async () => {
    const before = readFileSync(localInfluxCredentialsFile(dataDir), 'utf8');
    await svc.kill('SIGTERM');
    svc = await spawnService(env);
    expect(readFileSync(localInfluxCredentialsFile(dataDir), 'utf8')).toBe(before);
    const h = (await (await fetch(`${svc.httpUrl}/health`)).json()) as { status: string };
    expect(h.status).toBe('ok');
    expect((await write((await info()).url as string)).status).toBe(401);
  }, 90_000);
});
