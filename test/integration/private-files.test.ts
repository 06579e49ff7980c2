import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInflux, type TestInflux } from '../helpers/influx.ts';
import { spawnService, type ServiceProcess } from '../helpers/service-process.ts';
import { freePort } from '../../src/util/free-port.ts';
import { eventually } from '../helpers/service.ts';

/**
 * Issue 21: the first admin token was printed on stdout, the stream of the JSON log (it ends up in log
 * collectors); snapshot files were 0644 in a 0755 data dir. Now the token goes to the terminal (stderr) only, the
 * data dir is 0700 and what the service writes there is private.
 */
const TOKEN = /kzm_[a-f0-9]{12}_[A-Za-z0-9_-]{43}/;
const mode = (p: string) => statSync(p).mode & 0o777;

describe('issue 21: the first token on the terminal only; private files', () => {
  let influx: TestInflux;
  let dataDir: string;
  let svc: ServiceProcess;
  let token: string;

  beforeAll(async () => {
    influx = await startInflux();
    dataDir = mkdtempSync(join(tmpdir(), 'kzm-private-'));
    chmodSync(dataDir, 0o755); // as `mkdir data` leaves it
    svc = await spawnService({
      KZM_DATA_DIR: dataDir,
      KZM_HTTP_PORT: String(await freePort()),
      KZM_MQTT_EMBEDDED_PORT: String(await freePort()),
      KZM_HTTP_ALLOW_ANONYMOUS: 'false',
      KZM_INFLUX_URL: influx.url,
      KZM_INFLUX_DATABASE: 'private_files',
    });
  }, 90_000);
  afterAll(async () => {
    await svc?.kill('SIGTERM');
    await influx?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('the first admin token is on stderr, never in the JSON log on stdout (was: stdout)', async () => {
    // printed once the service has started (after its "Service started." line)
    const out = await eventually(
      async () => svc.output(),
      (o) => TOKEN.test(o.stderr + o.stdout),
    );
    expect(out.stdout).not.toMatch(TOKEN);
    token = TOKEN.exec(out.stderr)?.[0] ?? '';
    expect(token).toMatch(TOKEN);
    // every stdout line is a JSON log line
    for (const line of out.stdout.trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('the data dir becomes 0700; snapshot files 0600 in 0700 folders (was: 0644 in 0755)', async () => {
    const res = await fetch(`${svc.httpUrl}/api/periods/2025-Q2/close`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ acknowledgement: 'test: no readings' }),
    });
    expect(res.status).toBe(201);
    const reopen = await fetch(`${svc.httpUrl}/api/periods/2025-Q2/reopen`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'test' }),
    });
    expect(reopen.status).toBe(200);
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, 'periods'))).toBe(0o700);
    expect(mode(join(dataDir, 'periods', '2025-Q2'))).toBe(0o700);
    for (const f of readdirSync(join(dataDir, 'periods', '2025-Q2')))
      expect(mode(join(dataDir, 'periods', '2025-Q2', f)), f).toBe(0o600);
    expect(mode(join(dataDir, 'audit', 'audit.log'))).toBe(0o600);
    expect(mode(join(dataDir, 'auth', 'users.json'))).toBe(0o600);
  });
});
