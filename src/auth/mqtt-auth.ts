import { createHash } from 'node:crypto';
import type { Client, PublishPacket, Subscription } from 'aedes';
import type { Logger } from 'pino';
import { Counter, type Registry as PromRegistry } from 'prom-client';
import {
  canPublish,
  canSubscribe,
  canWill,
  clientIdAllowed,
  type Decision,
  type DeviceTopics,
  type Principal,
} from './mqtt-acl.ts';
import type { IdentityTable, MqttIdentity } from './mqtt-credentials.ts';
import { createRateLimitedLog } from './rate-limited-log.ts';
import { verifySecret } from './secret-hash.ts';

/** CONNACK return codes of MQTT 3.1.1 (section 3.2.2.3). */
const IDENTIFIER_REJECTED = 2;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

export type ConnectDenyReason = 'anonymous' | 'unknown-identity' | 'wrong-secret' | 'client-id-taken' | 'will-not-own';

export interface MqttAuth {
  authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (err: (Error & { returnCode: number }) | null, ok: boolean | null) => void,
  ): void;
  /** undefined when the publish (or will) may go on to ingest; otherwise the refusal, already counted and logged. */
  checkPublish(client: Client | null, packet: PublishPacket): Error | undefined;
  authorizeSubscribe(
    client: Client,
    sub: Subscription,
    done: (err: Error | null, sub?: Subscription | null) => void,
  ): void;
  /** Re-read the credentials file if it changed; clients whose identity was revoked or rotated are returned. */
  refresh(connected: Iterable<Client>): Client[];
}

/** Verified (identity, secret, stored hash) triples: a reconnect storm costs one scrypt per meter at most. */
const CACHE_MAX = 100_000;

/**
 * aedes hooks that prove every client and keep it to its own topics (architecture principle 10). Refusals are
 * counted in kzm_mqtt_denied_total{action,reason}, logged at a bounded rate, and never reach ingest.
 */
export function createMqttAuth(opts: {
  table: IdentityTable;
  allowAnonymous: boolean;
  metrics: PromRegistry;
  log: Logger;
  /** The registry's vendor-format device topics and the meters they carry. */
  devices?: DeviceTopics;
}): MqttAuth {
  const { table, log } = opts;
  const principals = new WeakMap<Client, Principal>();
  const verified = new Set<string>();
  const pending = new Map<string, Promise<boolean>>();
  const denied = new Counter({
    name: 'kzm_mqtt_denied_total',
    help: 'MQTT connects, publishes, wills and subscriptions refused, by action and reason',
    labelNames: ['action', 'reason'],
    registers: [opts.metrics],
  });
  const rlog = createRateLimitedLog(log, 10_000);
  const refuse = (action: string, reason: string, fields: Record<string, unknown>) => {
    denied.inc({ action, reason });
    rlog.warn(`${action}:${reason}`, { action, reason, ...fields }, 'MQTT client refused.');
  };

  function check(secret: string, identity: MqttIdentity): Promise<boolean> {
    const key = createHash('sha256').update(`${identity.id}\0${identity.hash}\0${secret}`).digest('base64');
    if (verified.has(key)) return Promise.resolve(true);
    let p = pending.get(key);
    if (!p) {
      p = verifySecret(secret, identity.hash).then((ok) => {
        pending.delete(key);
        if (ok) {
          if (verified.size >= CACHE_MAX) verified.clear();
          verified.add(key);
        }
        return ok;
      });
      pending.set(key, p);
    }
    return p;
  }

  function connectError(code: number, reason: ConnectDenyReason, client: Client, username?: string) {
    refuse('connect', reason, { clientId: client.id, username });
    return Object.assign(new Error(`MQTT connect refused: ${reason}`), { returnCode: code });
  }

  function admit(client: Client, p: Principal, username?: string): ReturnType<typeof connectError> | undefined {
    if (!clientIdAllowed(p, client.id, table.isReservedClientId))
      return connectError(IDENTIFIER_REJECTED, 'client-id-taken', client, username);
    // aedes keeps the CONNECT's will on the client until the session is set up (lib/handlers/connect.js).
    const will = (client as unknown as { _will?: { topic: string } })._will;
    if (will && !canWill(p, will.topic, opts.devices).ok)
      return connectError(NOT_AUTHORIZED, 'will-not-own', client, username);
    principals.set(client, p);
    return undefined;
  }

  function current(p: Principal): boolean {
    return p.kind === 'lab' || table.get(p.id)?.hash === p.hash;
  }

  return {
    authenticate(client, username, password, done) {
      table.refresh();
      if (username === undefined || username === '') {
        if (!opts.allowAnonymous) return done(connectError(NOT_AUTHORIZED, 'anonymous', client), false);
        const err = admit(client, { kind: 'lab' });
        return err ? done(err, false) : done(null, true);
      }
      const identity = table.get(username);
      if (!identity) return done(connectError(BAD_USERNAME_OR_PASSWORD, 'unknown-identity', client, username), false);
      check(password?.toString('utf8') ?? '', identity).then(
        (ok) => {
          if (!ok) return done(connectError(BAD_USERNAME_OR_PASSWORD, 'wrong-secret', client, username), false);
          const err = admit(client, identity, username);
          return err ? done(err, false) : done(null, true);
        },
        (err: Error) => {
          log.error({ err: err.message, username }, 'Credential check failed.');
          done(Object.assign(new Error('credential check failed'), { returnCode: 3 }), false);
        },
      );
    },
    checkPublish(client, packet) {
      const p = client ? principals.get(client) : undefined;
      const isWill = client !== null && packet === (client as unknown as { will?: unknown }).will;
      const action = isWill ? 'will' : 'publish';
      let d: Decision;
      if (!p) d = { ok: false, reason: 'no-identity' };
      else if (!current(p)) d = { ok: false, reason: 'credential-changed' };
      else d = isWill ? canWill(p, packet.topic, opts.devices) : canPublish(p, packet.topic, opts.devices);
      if (d.ok) return undefined;
      refuse(action, d.reason, { clientId: client?.id, topic: packet.topic.slice(0, 200) });
      return new Error(`MQTT ${action} refused: ${d.reason}`);
    },
    authorizeSubscribe(client, sub, done) {
      const p = principals.get(client);
      const d: Decision = !p
        ? { ok: false, reason: 'no-identity' }
        : !current(p)
          ? { ok: false, reason: 'credential-changed' }
          : canSubscribe(p, sub.topic);
      if (d.ok) return done(null, sub);
      refuse('subscribe', d.reason, { clientId: client.id, filter: sub.topic.slice(0, 200) });
      // A null subscription makes aedes answer SUBACK 0x80 for this filter (MQTT 3.1.1, 3.9.3).
      return done(null, null);
    },
    refresh(connected) {
      if (!table.refresh()) return [];
      const out: Client[] = [];
      for (const c of connected) {
        const p = principals.get(c);
        if (p && !current(p)) out.push(c);
      }
      return out;
    },
  };
}

/**
 * Watch the credentials file while the broker runs: a revoked or rotated identity's live connections are
 * closed within `intervalMs` (their next publish would be refused anyway). Returns the stop function.
 */
export function watchRevocations(
  auth: MqttAuth,
  clients: () => Iterable<Client>,
  log: Logger,
  intervalMs = 2000,
): () => void {
  const timer = setInterval(() => {
    for (const c of auth.refresh(clients())) {
      log.warn({ clientId: c.id }, 'MQTT client closed: its credential was revoked or rotated.');
      c.close();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
