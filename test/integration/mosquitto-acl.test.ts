import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerConfigMain } from '../../src/cli/broker-config.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import { useInflux } from '../helpers/influx.ts';
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.ts';
import { connectAs, issueCredentials, tryConnect, type IssuedCredential } from '../helpers/mqtt-auth.ts';
import { eventually } from '../helpers/eventually.ts';
import { DEVICES_DIR, queryRows, startService } from '../helpers/service.ts';

const run = promisify(execFile);

/** Debian's mosquitto with the password and ACL files of `kzmeter broker-config mosquitto`; the service ingests as a monitor. */
describe('external mosquitto enforcing the registry identities', () => {
  const influx = useInflux();
  let mosq: TestMosquitto;
  let dir: string;
  let creds: Record<string, IssuedCredential>;
  let svc: Awaited<ReturnType<typeof startService>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kzm-mosq-acl-'));
    const file = join(dir, 'credentials.yaml');
    creds = await issueCredentials(file, loadRegistry(DEVICES_DIR), [
      { id: 'ekb-1-m01' },
      { id: 'gw-ekb', kind: 'gateway', meters: ['ekb-1-m02'] },
      { id: 'kzm-ingest', kind: 'monitor' },
    ]);
    Object.assign(process.env, { KZM_REGISTRY_DIR: DEVICES_DIR, KZM_MQTT_CREDENTIALS_FILE: file, KZM_DATA_DIR: dir });
    const out = join(dir, 'mosquitto');
    expect(await brokerConfigMain(['mosquitto', '--out', out], () => {})).toBe(0);
    // mosquitto started as root drops to its own user: let it read the files (in production: chown mosquitto)
    for (const [f, mode] of [
      [dir, 0o755],
      [out, 0o755],
      [join(out, 'passwd'), 0o644],
      [join(out, 'acl'), 0o644],
    ] as const)
      chmodSync(f, mode);
    mosq = await startMosquitto(readFileSync(join(out, 'kzmeter.conf'), 'utf8'));
    const ingest = creds['kzm-ingest']!;
    svc = await startService(await influx.database(), {
      mqtt: { brokerUrl: mosq.url, clientId: 'kzm-ingest', username: ingest.username, password: ingest.password },
    });
  });
  afterAll(async () => {
    await svc?.cleanup();
    await mosq?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const stored = async (meter: string) =>
    ((await queryRows(svc.influx, `SELECT count(wh) AS n FROM reading WHERE meter = '${meter}'`))[0]?.n as number) ?? 0;
  const reading = (kwh: number) => JSON.stringify({ ts: Date.now() - 60_000 + kwh, kwh });

  it('the generated files hold hashes only', () => {
    const passwd = readFileSync(join(dir, 'mosquitto', 'passwd'), 'utf8');
    expect(passwd).toMatch(/^ekb-1-m01:\$7\$101\$/m);
    for (const c of Object.values(creds)) expect(passwd).not.toContain(c.password);
  });

  it('refuses anonymous and wrong-password clients', async () => {
    expect(await tryConnect(mosq.url, { clientId: 'anon' })).toBe(5);
    expect([4, 5]).toContain(await tryConnect(mosq.url, { clientId: 'x', username: 'ekb-1-m01', password: 'guess' }));
  });

  it("drops a meter's publish on another meter's topic (impersonation) and keeps other meters' readings from it", async () => {
    // The impostor with Debian's own client: mosquitto answers a denied QoS 1 publish with a PUBACK and drops it.
    const m1 = creds['ekb-1-m01']!;
    const port = String(mosq.port);
    await run('mosquitto_pub', [
      '-p',
      port,
      '-u',
      m1.username,
      '-P',
      m1.password,
      '-q',
      '1',
      '-t',
      'meters/ekb-1-m02/reading',
      '-m',
      reading(900),
    ]);
    const m = await connectAs(mosq.url, m1);
    const gw = await connectAs(mosq.url, creds['gw-ekb']!);
    await m.publishAsync('meters/ekb-1-m01/reading', reading(1), { qos: 1 });
    await gw.publishAsync('meters/ekb-1-m02/reading', reading(2), { qos: 1 });
    await eventually(
      async () => [await stored('ekb-1-m01'), await stored('ekb-1-m02')],
      ([a, b]) => a === 1 && b === 1,
    );
    // the gateway's reading is there; the impostor's (kwh 900) never reached the service
    const rows = await queryRows(svc.influx, `SELECT wh FROM reading WHERE meter = 'ekb-1-m02'`);
    expect(rows.map((r) => r.wh)).toEqual([2000]);
    // Mosquitto grants a '#' subscription but delivers only what the ACL lets the meter read.
    const got: string[] = [];
    m.on('message', (topic) => got.push(topic));
    await m.subscribeAsync('#', { qos: 1 });
    await gw.publishAsync('meters/ekb-1-m02/reading', reading(3), { qos: 1 });
    await m.publishAsync('meters/ekb-1-m01/reading', reading(4), { qos: 1 });
    await eventually(
      async () => got,
      (g) => g.includes('meters/ekb-1-m01/reading'),
    );
    expect(got).not.toContain('meters/ekb-1-m02/reading');
    await Promise.all([m.endAsync(), gw.endAsync()]);
  });
});
