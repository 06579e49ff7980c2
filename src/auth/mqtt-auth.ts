import { createHash } from 'node:crypto';
import type { Client, PublishPacket, Subscription } from 'aedes';
import type { Logger } from 'pino';
import { Counter, type Registry as PromRegistry } from 'prom-client';
import {
  canPublish,
  canRetain,
  canSubscribe,
  canWill,
  clientIdAllowed,
  type ClientIdOwner,
  type Decision,
  type DeviceTopics,
  type Principal,
} from './mqtt-acl.ts';
import type { ClientIdBindings } from './mqtt-client-ids.ts';
import { createLiveSessions } from './mqtt-live-sessions.ts';
import type { IdentityTable, MqttIdentity } from './mqtt-credentials.ts';
import { createRateLimitedLog } from './rate-limited-log.ts';
import { verifySecret } from './secret-hash.ts';

/** CONNACK return codes of MQTT 3.1.1 (section 3.2.2.3). */
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

export type ConnectDenyReason =
  'anonymous' | 'unknown-identity' | 'wrong-secret' | 'client-id-taken' | 'will-not-own' | 'too-many-connections';

/** Connections one identity may hold at once unless configured (mqtt.maxConnectionsPerIdentity). */
export const DEFAULT_MAX_CONNECTIONS_PER_IDENTITY = 8;

export interface MqttAuth {
  authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (err: (Error & { returnCode: number }) | null, ok: boolean | null) => void,
  ): void;
  /** undefined when the publish (or will) may go on to ingest; otherwise the refusal, already counted and logged. */
  checkPublish(client: Client | null, packet: PublishPacket): Error | undefined;
  /** Whether a publish with the retain flag may be retained (`accepted`: ingest stored it as a status); a no is counted. */
  mayRetain(client: Client | null, packet: PublishPacket, accepted: boolean): boolean;
  authorizeSubscribe(
    client: Client,
    sub: Subscription,
    done: (err: Error | null, sub?: Subscription | null) => void,
  ): void;
  /** Re-read the credentials file if it changed; clients whose identity was revoked or rotated are returned. */
  refresh(connected: Iterable<Client>): Client[];
}

const NO_ID: Decision = { ok: false, reason: 'no-identity' };

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
  /** Client ids recorded at first use (src/auth/mqtt-client-ids.ts); without it only reserved ids are bound. */
  bindings?: ClientIdBindings;
  /** Live connections per identity; a gateway may hold one per meter it carries if that is more. */
  maxConnectionsPerIdentity?: number;
  /** A retained status larger than this is delivered but not retained (default 1024). */
  retainedMaxBytes?: number;
}): MqttAuth {
  const { table, log } = opts;
  const principals = new WeakMap<Client, Principal>();
  const sessions = createLiveSessions();
  const maxConnections = opts.maxConnectionsPerIdentity ?? DEFAULT_MAX_CONNECTIONS_PER_IDENTITY;
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

  /** Who owns a client id: reserved and declared ids first, then first use, then whoever holds it live. */
  function ownerOf(clientId: string): ClientIdOwner | undefined {
    const reserved = table.clientIdOwner(clientId);
    if (reserved) return reserved;
    const bound = opts.bindings?.ownerOf(clientId) ?? sessions.liveOwner(clientId);
    return bound === undefined ? undefined : { kind: 'identity', identityId: bound };
  }

  function admit(client: Client, p: Principal, username?: string): ReturnType<typeof connectError> | undefined {
    const owner = ownerOf(client.id);
    if (!clientIdAllowed(p, owner)) return connectError(IDENTIFIER_REJECTED, 'client-id-taken', client, username);
    // aedes keeps the CONNECT's will on the client until the session is set up (lib/handlers/connect.js).
    const will = (client as unknown as { _will?: { topic: string } })._will;
    if (will && !canWill(p, will.topic, opts.devices).ok)
      return connectError(NOT_AUTHORIZED, 'will-not-own', client, username);
    if (p.kind !== 'lab') {
      const limit = p.kind === 'gateway' ? Math.max(maxConnections, p.meters.size) : maxConnections;
      if (sessions.count(p.id, client.id) >= limit)
        return connectError(SERVER_UNAVAILABLE, 'too-many-connections', client, username);
      sessions.add(p.id, client);
      // A free id becomes the identity's; one it holds already is refreshed (its most recent ids are kept).
      if (owner === undefined || (owner.kind === 'identity' && !table.clientIdOwner(client.id)))
        opts.bindings?.bind(p.id, client.id);
    }
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
    mayRetain(client, packet, accepted) {
      const p = client ? principals.get(client) : undefined;
      const bytes = (packet.payload as Buffer).length;
      const maxBytes = opts.retainedMaxBytes ?? 1024;
      const d: Decision = p ? canRetain(p, packet.topic, bytes, { maxBytes, accepted, devices: opts.devices }) : NO_ID;
      if (d.ok) return true;
      refuse('retain', d.reason, { clientId: client?.id, topic: packet.topic.slice(0, 200), bytes });
      return false;
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
