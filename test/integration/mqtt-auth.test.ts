import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeCredential } from '../../src/auth/credential-admin.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import { useInflux } from '../helpers/influx.ts';
import {
  closed,
  connectAs,
  issueCredentials,
  subackCodes,
  tryConnect,
  type IssuedCredential,
} from '../helpers/mqtt-auth.ts';
import { eventually } from '../helpers/eventually.ts';
import { DEVICES_DIR, queryRows, startService } from '../helpers/service.ts';

/** Identities on the embedded broker, with real mqtt.js clients, the real service and a real InfluxDB 1.6. */
const registry = loadRegistry(DEVICES_DIR);
const T = () => Date.now() - 60_000;
const reading = (kwh: number) => JSON.stringify({ ts: T(), kwh });
const influx = useInflux();

describe('MQTT identities on the embedded broker', () => {
  let dir: string;
  let file: string;
  let creds: Record<string, IssuedCredential>;
  let svc: Awaited<ReturnType<typeof startService>>;
  const meterIds = new Set(registry.meters.map((m) => m.id));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kzm-auth-'));
    file = join(dir, 'credentials.yaml');
    creds = await issueCredentials(file, registry, [
      { id: 'ekb-1-m01' },
      { id: 'ekb-1-m05' },
      { id: 'ekb-1-m06' },
      { id: 'gw-ekb', kind: 'gateway', meters: ['ekb-1-m02', 'ekb-1-m03'] },
      { id: 'monitor', kind: 'monitor' },
    ]);
    svc = await startService(await influx.database(), { mqtt: { allowAnonymous: false, credentialsFile: file } });
  });
  afterAll(async () => {
    await svc?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const denied = async (action: string, reason: string): Promise<number> => {
    const text = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    const m = new RegExp(`^kzm_mqtt_denied_total\\{action="${action}",reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  const stored = async (meter: string) =>
    (await queryRows(svc.influx, `SELECT count(wh) AS n FROM reading WHERE meter = '${meter}'`))[0]?.n ?? 0;
  const anything = async (meter: string) =>
    (await queryRows(svc.influx, `SELECT * FROM reading, meter_status, rejected WHERE meter = '${meter}'`)).length;

  it.each([
    { name: 'anonymous', opts: {}, code: 5, reason: 'anonymous' },
    { name: 'unknown identity', opts: { username: 'nobody', password: 'x' }, code: 4, reason: 'unknown-identity' },
    { name: 'wrong secret', opts: { username: 'ekb-1-m01', password: 'guess' }, code: 4, reason: 'wrong-secret' },
  ])('refuses $name with CONNACK $code and counts it', async ({ opts, code, reason }) => {
    const before = await denied('connect', reason);
    expect(await tryConnect(svc.brokerUrl, { clientId: `t-${reason}`, ...opts })).toBe(code);
    expect(await denied('connect', reason)).toBe(before + 1);
  });

  it("refuses a will on another meter's status (a fake offline) and a client id that takes over another meter", async () => {
    const fakeWill = {
      topic: 'meters/ekb-1-m04/status',
      payload: Buffer.from('offline'),
      qos: 1 as const,
      retain: true,
    };
    expect(await tryConnect(svc.brokerUrl, { ...creds['ekb-1-m01']!, clientId: 'm01-a', will: fakeWill })).toBe(5);
    expect(await denied('connect', 'will-not-own')).toBe(1);
    expect(await tryConnect(svc.brokerUrl, { ...creds['ekb-1-m01']!, clientId: 'ekb-1-m04' })).toBe(2);
    expect(await denied('connect', 'client-id-taken')).toBe(1);
    expect(await anything('ekb-1-m04')).toBe(0);
  });

  it('a meter publishes its own readings; an impersonating publish is refused, counted, cut and never stored', async () => {
    const own = await connectAs(svc.brokerUrl, creds['ekb-1-m01']!, { clientId: 'ekb-1-m01' });
    const gw = await connectAs(svc.brokerUrl, creds['gw-ekb']!);
    await own.publishAsync('meters/ekb-1-m01/reading', reading(100), { qos: 1 });
    expect(await stored('ekb-1-m01')).toBe(1);
    // good traffic next to the impostor keeps flowing
    const good = gw.publishAsync('meters/ekb-1-m02/reading', reading(200), { qos: 1 });
    void own.publishAsync('meters/ekb-1-m04/reading', reading(999), { qos: 1 }).catch(() => {});
    await closed(own);
    await good;
    expect(await stored('ekb-1-m02')).toBe(1);
    expect(await denied('publish', 'not-own-topic')).toBe(1);
    expect(await anything('ekb-1-m04')).toBe(0);
    await gw.endAsync();
  });

  it('a gateway publishes for its meters only', async () => {
    const gw = await connectAs(svc.brokerUrl, creds['gw-ekb']!);
    await gw.publishAsync('meters/ekb-1-m03/reading', reading(300), { qos: 1 });
    expect(await stored('ekb-1-m03')).toBe(1);
    void gw.publishAsync('meters/ekb-1-m07/reading', reading(1), { qos: 1 }).catch(() => {});
    await closed(gw);
    expect(await anything('ekb-1-m07')).toBe(0);
  });

  it('a meter subscribing to # or to another meter gets SUBACK 0x80; its own tree and a monitor are granted', async () => {
    const m = await connectAs(svc.brokerUrl, creds['ekb-1-m05']!);
    const codes = await subackCodes(m, {
      '#': { qos: 1 },
      'meters/+/reading': { qos: 1 },
      'meters/ekb-1-m05/#': { qos: 1 },
    });
    expect(codes).toEqual([128, 128, 1]);
    expect(await denied('subscribe', 'subscribe-not-own')).toBe(2);
    const mon = await connectAs(svc.brokerUrl, creds.monitor!);
    expect(await subackCodes(mon, { '#': { qos: 0 } })).toEqual([0]);
    const seen = new Promise<string>((r) => mon.once('message', (topic) => r(topic)));
    await m.publishAsync('meters/ekb-1-m05/reading', reading(5), { qos: 1 });
    expect(await seen).toBe('meters/ekb-1-m05/reading');
    // a monitor reads, never writes
    void mon.publishAsync('meters/ekb-1-m05/reading', reading(6), { qos: 1 }).catch(() => {});
    await closed(mon);
    expect(await denied('publish', 'read-only')).toBe(1);
    await m.endAsync();
  });

  it('revoking takes effect without a restart: the live connection is cut and the secret refused', async () => {
    const m = await connectAs(svc.brokerUrl, creds['ekb-1-m06']!);
    await changeCredential({ file, action: 'revoke', id: 'ekb-1-m06', meterIds });
    await closed(m, 10_000);
    expect(await tryConnect(svc.brokerUrl, { ...creds['ekb-1-m06']!, clientId: 'm06-again' })).toBe(4);
    // issued again: a new secret works, the old one does not
    const again = await changeCredential({ file, action: 'issue', id: 'ekb-1-m06', meterIds });
    const fresh = await eventually(
      () => tryConnect(svc.brokerUrl, { username: 'ekb-1-m06', password: again.secret!, clientId: 'm06-new' }),
      (c) => typeof c !== 'number',
    );
    expect(typeof fresh).not.toBe('number');
    if (typeof fresh !== 'number') await fresh.endAsync();
    expect(await tryConnect(svc.brokerUrl, { ...creds['ekb-1-m06']!, clientId: 'm06-old' })).toBe(4);
  });

  it('rotating closes the old connection; the new secret connects', async () => {
    const m = await connectAs(svc.brokerUrl, creds['ekb-1-m05']!);
    const rotated = await changeCredential({ file, action: 'rotate', id: 'ekb-1-m05', meterIds });
    await closed(m, 10_000);
    const n = await connectAs(svc.brokerUrl, { username: 'ekb-1-m05', password: rotated.secret! });
    await n.publishAsync('meters/ekb-1-m05/reading', reading(7), { qos: 1 });
    await n.endAsync();
  });
});

describe('MQTT start-up checks', () => {
  it('refuses anonymous access on a non-loopback address before anything listens, saying what to set', async () => {
    await expect(
      startService(await influx.database(), { mqtt: { allowAnonymous: true, embeddedHost: '0.0.0.0' } }),
    ).rejects.toThrow(/KZM_MQTT_ALLOW_ANONYMOUS/);
  });
});
