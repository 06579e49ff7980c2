import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRegistry } from '../../src/registry/load.ts';
import { startInflux, type TestInflux } from '../helpers/influx.ts';
import { issueCredentials, tryConnect, type IssuedCredential } from '../helpers/mqtt-auth.ts';
import { DEVICES_DIR, eventually, queryRows, startService } from '../helpers/service.ts';
import { makeTestPki, type TestPki } from '../helpers/tls.ts';

const run = promisify(execFile);

/** The embedded broker's mqtts listener, with plain TCP switched off, used by Debian's mosquitto_pub/_sub. */
describe('MQTT over TLS', () => {
  let influx: TestInflux;
  let dir: string;
  let pki: TestPki;
  let creds: Record<string, IssuedCredential>;
  let svc: Awaited<ReturnType<typeof startService>>;
  let port: string;

  beforeAll(async () => {
    influx = await startInflux();
    dir = mkdtempSync(join(tmpdir(), 'kzm-tls-'));
    pki = makeTestPki(dir);
    const file = join(dir, 'credentials.yaml');
    creds = await issueCredentials(file, loadRegistry(DEVICES_DIR), [
      { id: 'ekb-1-m01' },
      { id: 'monitor', kind: 'monitor' },
    ]);
    svc = await startService(await influx.database(), {
      mqtt: {
        allowAnonymous: false,
        credentialsFile: file,
        plainTcp: false,
        tls: { port: 0, certFile: pki.cert, keyFile: pki.key },
      },
    });
    port = new URL(svc.brokerTlsUrl!).port;
  });
  afterAll(async () => {
    await svc?.cleanup();
    await influx?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const tlsArgs = () => ['-h', '127.0.0.1', '-p', port, '--cafile', pki.ca];

  it('mosquitto_pub publishes over TLS with --cafile; the reading is stored; mosquitto_sub as monitor reads it', async () => {
    const m = creds['ekb-1-m01']!;
    const mon = creds.monitor!;
    const sub = spawn(
      'mosquitto_sub',
      [...tlsArgs(), '-u', mon.username, '-P', mon.password, '-t', 'meters/#', '-C', '1', '-v', '-W', '20'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    sub.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => sub.once('exit', (code) => r(code)));
    await new Promise((r) => setTimeout(r, 700)); // let the subscription settle
    const payload = JSON.stringify({ ts: Date.now() - 60_000, kwh: 42.5 });
    await run('mosquitto_pub', [
      ...tlsArgs(),
      ...[
        '-u',
        m.username,
        '-P',
        m.password,
        '-i',
        'ekb-1-m01',
        '-q',
        '1',
        '-t',
        'meters/ekb-1-m01/reading',
        '-m',
        payload,
      ],
    ]);
    expect(await exited).toBe(0);
    expect(out.trim()).toBe(`meters/ekb-1-m01/reading ${payload}`);
    const rows = await eventually(
      () => queryRows(svc.influx, `SELECT wh FROM reading WHERE meter = 'ekb-1-m01'`),
      (r) => r.length === 1,
    );
    expect(rows[0]).toMatchObject({ wh: 42_500 });
  });

  it('refuses a wrong password over TLS, and a client that does not trust the CA', async () => {
    const m = creds['ekb-1-m01']!;
    const wrong = run('mosquitto_pub', [
      ...tlsArgs(),
      '-u',
      m.username,
      '-P',
      'nope',
      '-t',
      'meters/ekb-1-m01/reading',
      '-m',
      '{}',
    ]);
    await expect(wrong).rejects.toMatchObject({
      stderr: expect.stringMatching(/not authori[sz]ed|bad user name or password/i),
    });
    const untrusted = await tryConnect(`mqtts://127.0.0.1:${port}`, { ...m, rejectUnauthorized: true }).catch(
      (e: Error) => e.message,
    );
    expect(String(untrusted)).toMatch(/self[- ]signed|unable to verify|certificate/i);
  });

  it('with plain TCP off, only the mqtts listener exists', () => {
    expect(svc.brokerUrl).toMatch(/^mqtts:\/\//);
  });
});
