import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerConfigMain } from '../../src/cli/broker-config.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { useInflux } from '../helpers/influx.ts';
import { brokerConfigOwnerArgs, startMosquitto, type TestMosquitto } from '../helpers/mosquitto.ts';
import { connectAs, issueCredentials, type IssuedCredential } from '../helpers/mqtt-auth.ts';
import { eventually } from '../helpers/eventually.ts';
import { DEVICES_DIR, queryRows, startService } from '../helpers/service.ts';

/**
 * Issue 21, F5: Debian's mosquitto with the files of `kzmeter broker-config mosquitto`. With the service stopped,
 * `ekb-1-m02` published 5 QoS 1 readings (acknowledged by Mosquitto); `ekb-1-m01` connected with the ingest's client
 * id `kzmeter-ingest` and a clean session; the restarted service found `sessionPresent:false` and stored 0 of 5
 * (control without the attacker: 5 of 5). The generated snippet now binds each client id to its username.
 */
describe('F5: the ingest session on an external Mosquitto cannot be wiped or resumed by a meter', () => {
  const influx = useInflux();
  let target: InfluxTarget;
  let mosq: TestMosquitto;
  let dir: string;
  let creds: Record<string, IssuedCredential>;
  let svc: Awaited<ReturnType<typeof startService>> | undefined;

  const start = async () => {
    const ingest = creds['kzm-ingest']!;
    svc = await startService(target, {
      dataDir: join(dir, 'data'),
      mqtt: { brokerUrl: mosq.url, clientId: 'kzmeter-ingest', username: ingest.username, password: ingest.password },
    });
  };

  beforeAll(async () => {
    target = influx.target();
    dir = mkdtempSync(join(tmpdir(), 'kzm-mosq-sessions-'));
    const file = join(dir, 'credentials.yaml');
    creds = await issueCredentials(file, loadRegistry(DEVICES_DIR), [
      { id: 'ekb-1-m01' },
      { id: 'ekb-1-m02' },
      { id: 'kzm-ingest', kind: 'monitor' },
    ]);
    Object.assign(process.env, { KZM_REGISTRY_DIR: DEVICES_DIR, KZM_MQTT_CREDENTIALS_FILE: file, KZM_DATA_DIR: dir });
    const out = join(dir, 'mosquitto');
    chmodSync(dir, 0o755); // as /etc/mosquitto: Mosquitto's user may pass through to the folder it owns
    expect(await brokerConfigMain(['mosquitto', '--out', out, ...brokerConfigOwnerArgs()], () => {})).toBe(0);
    mosq = await startMosquitto(readFileSync(join(out, 'kzmeter.conf'), 'utf8'));
    await start();
  });
  afterAll(async () => {
    await svc?.stop();
    await mosq?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const stored = async (meter: string) =>
    ((await queryRows(target, `SELECT count(wh) AS n FROM reading WHERE meter = '${meter}'`))[0]?.n as number) ?? 0;

  /** Stop the service; m02 publishes `n` readings; `attack` runs; the service comes back and drains its session. */
  async function outage(n: number, from: number, attack: () => Promise<void>): Promise<void> {
    await svc!.stop();
    svc = undefined;
    const m02 = await connectAs(mosq.url, creds['ekb-1-m02']!, { clientId: 'ekb-1-m02' });
    for (let i = 0; i < n; i++)
      await m02.publishAsync(
        'meters/ekb-1-m02/reading',
        JSON.stringify({ ts: Date.now() - 60_000 + from + i, kwh: from + i }),
        {
          qos: 1,
        },
      );
    await m02.endAsync();
    await attack();
    await start();
  }

  it('F5: ekb-1-m01 connects with client id kzmeter-ingest, clean session, while the service is down -> 5 of 5 stored', async () => {
    await outage(5, 0, async () => {
      const m01 = await connectAs(mosq.url, creds['ekb-1-m01']!, { clientId: 'kzmeter-ingest', clean: true });
      await m01.endAsync();
    });
    expect(
      await eventually(
        () => stored('ekb-1-m02'),
        (n) => n >= 5,
      ),
    ).toBe(5);
  });

  it('F5: ekb-1-m01 resuming the ingest session (clean false) takes none of its queue -> 10 of 10 stored', async () => {
    const got: string[] = [];
    await outage(5, 5, async () => {
      const m01 = await connectAs(mosq.url, creds['ekb-1-m01']!, { clientId: 'kzmeter-ingest', clean: false });
      m01.on('message', (topic) => got.push(topic));
      // a round trip on its own topic: anything queued for the session it resumed would have come first
      await m01.subscribeAsync('meters/ekb-1-m01/#', { qos: 1 });
      const echo = new Promise<void>((r) => m01.on('message', (t) => t === 'meters/ekb-1-m01/ping' && r()));
      await m01.publishAsync('meters/ekb-1-m01/ping', 'x', { qos: 1 });
      await echo;
      await m01.endAsync();
    });
    expect(
      await eventually(
        () => stored('ekb-1-m02'),
        (n) => n >= 10,
      ),
    ).toBe(10);
    expect(got.filter((t) => t !== 'meters/ekb-1-m01/ping')).toEqual([]);
  });
});
