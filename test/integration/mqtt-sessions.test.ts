import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRegistry } from '../../src/registry/load.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { useInflux } from '../helpers/influx.ts';
import { closed, connectAs, issueCredentials, tryConnect, type IssuedCredential } from '../helpers/mqtt-auth.ts';
import { eventually } from '../helpers/eventually.ts';
import { DEVICES_DIR, queryRows, startService } from '../helpers/service.ts';

const run = promisify(execFile);

/**
 * Issue 21, F1 and F4 on the embedded broker: a session belongs to the identity that made it, and one identity
 * holds a bounded number of connections. Real service, real InfluxDB 1.6, real mqtt.js and mosquitto_pub clients.
 */
const registry = loadRegistry(DEVICES_DIR);
const influx = useInflux();
const reading = (kwh: number) => JSON.stringify({ ts: Date.now() - 60_000, kwh });
const offlineWill = (meter: string) => ({
  topic: `meters/${meter}/status`,
  payload: Buffer.from('offline'),
  qos: 1 as const,
  retain: true,
});

/** Connect and resolve with the client and its CONNACK's sessionPresent, or with the refusal's return code. */
function connectWithAck(url: string, opts: IClientOptions): Promise<{ c: MqttClient; present: boolean } | number> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    c.once('connect', (ack) => resolve({ c, present: ack.sessionPresent }));
    c.once('error', (err) => {
      c.end(true);
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number') resolve(code);
      else reject(err);
    });
  });
}

describe('F1: a session belongs to the identity that made it (embedded broker)', () => {
  let dir: string;
  let dataDir: string;
  let creds: Record<string, IssuedCredential>;
  let svc: Awaited<ReturnType<typeof startService>>;
  let target: InfluxTarget;
  const start = () =>
    startService(target, {
      dataDir,
      mqtt: { allowAnonymous: false, credentialsFile: join(dir, 'credentials.yaml') },
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kzm-sessions-'));
    dataDir = join(dir, 'data');
    target = influx.target();
    creds = await issueCredentials(join(dir, 'credentials.yaml'), registry, [
      { id: 'ekb-1-m01' },
      { id: 'ekb-1-m05' },
      { id: 'ekb-1-m06', clientIds: ['DVES_A1B2C3'] },
      { id: 'monitor', kind: 'monitor' },
    ]);
    svc = await start();
  });
  afterAll(async () => {
    await svc?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const statuses = async (meter: string) =>
    (await queryRows(svc.influx, `SELECT state FROM meter_status WHERE meter = '${meter}'`)).length;
  const stored = async (meter: string) =>
    ((await queryRows(svc.influx, `SELECT count(wh) AS n FROM reading WHERE meter = '${meter}'`))[0]?.n as number) ?? 0;
  const denied = async (reason: string): Promise<number> => {
    const text = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    const m = new RegExp(`^kzm_mqtt_denied_total\\{action="connect",reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };

  it('F1: ekb-1-m01 takes client id fw-m05 of the live ekb-1-m05 (retained offline will) -> CONNACK 2; m05 stays, its will never fires', async () => {
    // The issue's figure: accepted, m05 kicked, its `offline` stored: 10 Wh metered became 206 Wh substituted.
    const m05 = await connectAs(svc.brokerUrl, creds['ekb-1-m05']!, {
      clientId: 'fw-m05',
      will: offlineWill('ekb-1-m05'),
    });
    const before = await denied('client-id-taken');
    expect(await tryConnect(svc.brokerUrl, { ...creds['ekb-1-m01']!, clientId: 'fw-m05' })).toBe(2);
    expect(await denied('client-id-taken')).toBe(before + 1);
    // still m05's connection: its next reading is acknowledged and stored, and no offline was stored
    await m05.publishAsync('meters/ekb-1-m05/reading', reading(10), { qos: 1 });
    expect(m05.connected).toBe(true);
    expect(await stored('ekb-1-m05')).toBe(1);
    expect(await statuses('ekb-1-m05')).toBe(0);
    await m05.endAsync();
  });

  it('F1: a persistent session of ekb-1-m05 cannot be wiped (clean) or resumed by ekb-1-m01; m05 resumes it', async () => {
    const first = await connectWithAck(svc.brokerUrl, { ...creds['ekb-1-m05']!, clientId: 'fw-m05-p', clean: false });
    if (typeof first === 'number') throw new Error(`refused ${first}`);
    await first.c.subscribeAsync('meters/ekb-1-m05/#', { qos: 1 });
    await first.c.endAsync();
    for (const clean of [true, false])
      expect(await tryConnect(svc.brokerUrl, { ...creds['ekb-1-m01']!, clientId: 'fw-m05-p', clean })).toBe(2);
    const again = await connectWithAck(svc.brokerUrl, { ...creds['ekb-1-m05']!, clientId: 'fw-m05-p', clean: false });
    if (typeof again === 'number') throw new Error(`refused ${again}`);
    expect(again.present).toBe(true);
    await again.c.endAsync();
  });

  it("firmware client ids keep working: Tasmota DVES_..., a Shelly's id, mosquitto_pub's own mosq-...", async () => {
    const m01 = creds['ekb-1-m01']!;
    for (const clientId of ['DVES_5C1A2B', 'shellypro3em-a8032ab12345']) {
      const c = await connectAs(svc.brokerUrl, m01, { clientId });
      await c.publishAsync('meters/ekb-1-m01/reading', reading(1), { qos: 1 });
      await c.endAsync();
    }
    // mosquitto_pub without -i picks a random mosq-... id of its own
    const port = new URL(svc.brokerUrl).port;
    await run(
      'mosquitto_pub',
      ['-p', port, '-u', m01.username, '-P', m01.password, '-q', '1'].concat([
        '-t',
        'meters/ekb-1-m01/reading',
        '-m',
        reading(2),
      ]),
    );
    expect(
      await eventually(
        () => stored('ekb-1-m01'),
        (n) => n >= 3,
      ),
    ).toBe(3);
    // once used, the firmware id is m01's: m05 cannot take it, m01 can come back with it
    expect(await tryConnect(svc.brokerUrl, { ...creds['ekb-1-m05']!, clientId: 'DVES_5C1A2B' })).toBe(2);
    const back = await connectAs(svc.brokerUrl, m01, { clientId: 'DVES_5C1A2B' });
    await back.endAsync();
  });

  it("the service's ingest client id and a monitor's client id are reserved", async () => {
    expect(await tryConnect(svc.brokerUrl, { ...creds['ekb-1-m01']!, clientId: 'kzmeter-ingest' })).toBe(2);
    const mon = await connectAs(svc.brokerUrl, creds.monitor!, { clientId: 'grafana-live', clean: false });
    await mon.endAsync();
    expect(await tryConnect(svc.brokerUrl, { ...creds['ekb-1-m01']!, clientId: 'grafana-live' })).toBe(2);
    expect(await tryConnect(svc.brokerUrl, { ...creds['ekb-1-m01']!, clientId: 'monitor' })).toBe(2);
  });

  it("an id declared in credentials.yaml (clientIds) is its identity's before its first connect", async () => {
    expect(await tryConnect(svc.brokerUrl, { ...creds['ekb-1-m01']!, clientId: 'DVES_A1B2C3' })).toBe(2);
    const m06 = await connectAs(svc.brokerUrl, creds['ekb-1-m06']!, { clientId: 'DVES_A1B2C3' });
    await m06.endAsync();
  });

  it('bindings survive a restart (kept in the data dir): fw-m05 is still refused to ekb-1-m01', async () => {
    await svc.stop();
    svc = await start();
    expect(await tryConnect(svc.brokerUrl, { ...creds['ekb-1-m01']!, clientId: 'fw-m05' })).toBe(2);
    expect(await tryConnect(svc.brokerUrl, { ...creds['ekb-1-m01']!, clientId: 'DVES_5C1A2B' })).not.toBe(2);
  });
});

describe('F4: connections per identity are bounded (embedded broker)', () => {
  let dir: string;
  let creds: Record<string, IssuedCredential>;
  let svc: Awaited<ReturnType<typeof startService>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kzm-conns-'));
    const file = join(dir, 'credentials.yaml');
    creds = await issueCredentials(file, registry, [{ id: 'ekb-1-m07' }]);
    svc = await startService(await influx.database(), { mqtt: { allowAnonymous: false, credentialsFile: file } });
  });
  afterAll(async () => {
    await svc?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('F4: one meter identity opens 50 connections at once (the issue: 1,000, all accepted, +35 MB) -> 8 accepted, 42 refused with CONNACK 3 and counted', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => tryConnect(svc.brokerUrl, { ...creds['ekb-1-m07']!, clientId: `m07-${i}` })),
    );
    const open = results.filter((r): r is MqttClient => typeof r !== 'number');
    expect(open).toHaveLength(8); // mqtt.maxConnectionsPerIdentity's default
    expect(results.filter((r) => r === 3)).toHaveLength(42);
    const text = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    expect(text).toMatch(/^kzm_mqtt_denied_total\{action="connect",reason="too-many-connections"\} 42$/m);
    // at the bound, an identity may still replace one of its own sessions (same client id)...
    const replaced = open[0]!;
    const again = await connectAs(svc.brokerUrl, creds['ekb-1-m07']!, { clientId: replaced.options.clientId! });
    await closed(replaced);
    // ...and a closed connection frees its place
    await open[1]!.endAsync();
    const next = await eventually(
      () => tryConnect(svc.brokerUrl, { ...creds['ekb-1-m07']!, clientId: 'm07-next' }),
      (r) => typeof r !== 'number',
    );
    expect(typeof next).not.toBe('number');
    await Promise.all([...open.slice(2), again, next as MqttClient].map((c) => c.endAsync()));
  });
});
