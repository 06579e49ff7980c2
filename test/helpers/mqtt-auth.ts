import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { changeCredential } from '../../src/auth/credential-admin.ts';
import type { IdentityKind } from '../../src/auth/mqtt-credentials.ts';
import type { Registry } from '../../src/registry/types.ts';

export interface IssuedCredential {
  readonly username: string;
  readonly password: string;
}

/** Issue identities into a credentials file the way `kzmeter credentials issue` does; returns the secrets. */
export async function issueCredentials(
  file: string,
  registry: Registry,
  specs: readonly { id: string; kind?: IdentityKind; meters?: string[]; clientIds?: string[] }[],
): Promise<Record<string, IssuedCredential>> {
  const meterIds = new Set(registry.meters.map((m) => m.id));
  const out: Record<string, IssuedCredential> = {};
  for (const s of specs) {
    const c = await changeCredential({ file, action: 'issue', meterIds, ...s });
    out[s.id] = { username: c.id, password: c.secret! };
  }
  return out;
}

/** Connect and return the client, or the CONNACK return code of a refusal. */
export async function tryConnect(url: string, opts: IClientOptions): Promise<MqttClient | number> {
  try {
    return await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw err;
  }
}

export async function connectAs(url: string, cred: IssuedCredential, opts: IClientOptions = {}): Promise<MqttClient> {
  const c = await tryConnect(url, {
    clientId: `${cred.username}-${Math.random().toString(16).slice(2, 8)}`,
    ...cred,
    ...opts,
  });
  if (typeof c === 'number') throw new Error(`connect as ${cred.username} refused with code ${c}`);
  return c;
}

/** Resolves when the client's connection closes (the broker cut it), or rejects after timeoutMs. */
export function closed(c: MqttClient, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!c.connected) return resolve();
    const t = setTimeout(() => reject(new Error('connection not closed in time')), timeoutMs);
    c.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** The SUBACK return codes, one per filter (mqtt.js rejects a SUBACK holding 0x80, with the packet attached). */
export async function subackCodes(c: MqttClient, filters: Record<string, { qos: 0 | 1 }>): Promise<number[]> {
  try {
    return (await c.subscribeAsync(filters)).map((g) => g.qos);
  } catch (err) {
    const granted = (err as { packet?: { granted?: number[] } }).packet?.granted;
    if (!granted) throw err;
    return granted;
  }
}
