/**
 * The MQTT edge of the simulator: publishes generated messages with QoS 1 and
 * a bounded number of unacknowledged publishes (back-pressure from the
 * broker's PUBACKs), and carries out link drops and reconnects.
 *
 * Two connection modes:
 * - per-meter (default up to 500 meters): one client per meter, client id =
 *   meter id, last will 'offline' (retained, QoS 1) on meters/{id}/status.
 *   A planned drop destroys the TCP stream without DISCONNECT, so the broker
 *   publishes the will itself.
 * - pool (`connections: N`, gateway style, for thousands of meters): N clients
 *   'sim-gw-{k}', meter i on client i mod N. A connection has one will, so it
 *   is set on gateways/{clientId}/status; a planned meter drop is announced by
 *   the gateway publishing 'offline' (retained) on the meter's status topic.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { SimMessage } from './message.ts';
import { statusTopic } from './message.ts';

type Msg = { topic: string; payload: string };

export interface PublisherOptions {
  brokerUrl: string;
  meterIds: readonly string[];
  /** Pool size; undefined = one client per meter. */
  connections?: number;
  username?: string;
  password?: string;
  /** Unacknowledged QoS 1 publishes allowed at once, over all clients. */
  maxInflight?: number;
  log: Logger;
  /** Give up when not every client is connected by then (default 15 s). */
  connectTimeoutMs?: number;
  /** A meter's last will (per-meter mode) and its 'offline' announcement; default our JSON's status topic. */
  willOf?: (meterId: string) => Msg;
  offlineOf?: (meterId: string) => Msg;
}

export class SimulatorConnectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulatorConnectError';
  }
}

export interface PublisherStats {
  published: number;
  acked: number;
  failed: number;
  drops: number;
  reconnects: number;
}

export interface Publisher {
  readonly mode: 'per-meter' | 'pool';
  readonly stats: PublisherStats;
  start(): Promise<void>;
  send(msg: SimMessage): Promise<void>;
  /** Waits until every publish so far is acknowledged. */
  drain(): Promise<void>;
  /** announceOffline: publish 'offline' on every meter's status before leaving (live runs). */
  stop(opts?: { announceOffline?: boolean }): Promise<void>;
}

interface Conn {
  client: MqttClient;
  inflight: number;
  idle: (() => void)[];
}

const once = (c: MqttClient, ev: 'connect' | 'close'): Promise<void> =>
  new Promise((resolve) => c.once(ev as 'connect', () => resolve()));

export function createPublisher(o: PublisherOptions): Publisher {
  const pool = o.connections !== undefined;
  const maxInflight = o.maxInflight ?? 1000;
  const stats: PublisherStats = { published: 0, acked: 0, failed: 0, drops: 0, reconnects: 0 };
  const conns = new Map<string, Conn>();
  const byMeter = new Map<string, Conn>();
  let inflight = 0;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    w.forEach((f) => f());
  };

  const willOf = o.willOf ?? ((m: string) => ({ topic: statusTopic(m), payload: 'offline' }));
  const offlineOf = o.offlineOf ?? willOf;
  function open(clientId: string, will: Msg): Conn {
    const client = mqtt.connect(o.brokerUrl, {
      clientId,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      protocolVersion: 4,
      ...(o.username !== undefined && { username: o.username }),
      ...(o.password !== undefined && { password: o.password }),
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true },
    });
    client.on('error', (err) => o.log.debug({ clientId, err: err.message }, 'MQTT client error.'));
    return { client, inflight: 0, idle: [] };
  }

  async function publish(
    conn: Conn,
    topic: string,
    payload: string | Uint8Array,
    qos: 0 | 1,
    retain: boolean,
  ): Promise<void> {
    while (inflight >= maxInflight) await new Promise<void>((r) => waiters.push(r));
    inflight++;
    conn.inflight++;
    stats.published++;
    conn.client.publish(topic, typeof payload === 'string' ? payload : Buffer.from(payload), { qos, retain }, (err) => {
      inflight--;
      conn.inflight--;
      if (err) {
        stats.failed++;
        o.log.warn({ topic, err: err.message }, 'Publish failed.');
      } else stats.acked++;
      if (conn.inflight === 0) {
        const w = conn.idle;
        conn.idle = [];
        w.forEach((f) => f());
      }
      wake();
    });
  }

  const connIdle = (c: Conn): Promise<void> =>
    c.inflight === 0 ? Promise.resolve() : new Promise((r) => c.idle.push(r));

  return {
    mode: pool ? 'pool' : 'per-meter',
    stats,
    async start() {
      if (pool) {
        const n = Math.max(1, Math.min(o.connections!, o.meterIds.length));
        const list = Array.from({ length: n }, (_, k) => {
          const id = `sim-gw-${k + 1}`;
          // With credentials the pool is one gateway identity, which may set its will only on its own status.
          const c = open(id, { topic: `gateways/${o.username ?? id}/status`, payload: 'offline' });
          conns.set(id, c);
          return c;
        });
        o.meterIds.forEach((m, i) => byMeter.set(m, list[i % n]!));
      } else {
        for (const m of o.meterIds) {
          const c = open(m, willOf(m));
          conns.set(m, c);
          byMeter.set(m, c);
        }
      }
      const all = Promise.all(
        [...conns.values()].map((c) => (c.client.connected ? undefined : once(c.client, 'connect'))),
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), o.connectTimeoutMs ?? 15_000);
      });
      const first = await Promise.race([all, timeout]);
      clearTimeout(timer);
      if (first === 'timeout') {
        await Promise.all([...conns.values()].map((c) => c.client.endAsync(true)));
        conns.clear();
        throw new SimulatorConnectError(
          `cannot connect to the MQTT broker at ${o.brokerUrl} within ${(o.connectTimeoutMs ?? 15_000) / 1000} s (is it running? wrong --broker, --username or --password?)`,
        );
      }
      o.log.info(
        { broker: o.brokerUrl, clients: conns.size, mode: pool ? 'pool' : 'per-meter' },
        'Simulator connected.',
      );
    },
    async send(msg) {
      const conn = byMeter.get(msg.meterId);
      if (!conn) throw new Error(`simulator: no connection for meter ${msg.meterId}`);
      if (msg.type === 'idle') return;
      if (msg.type === 'publish') return publish(conn, msg.topic, msg.payload, msg.qos, msg.retain);
      if (msg.type === 'drop') {
        stats.drops++;
        if (pool) return publish(conn, willOf(msg.meterId).topic, willOf(msg.meterId).payload, 1, true);
        // Let what is in flight be acknowledged first: a reconnect starts with fresh stores.
        await connIdle(conn);
        conn.client.options.reconnectPeriod = 0;
        const closed = once(conn.client, 'close');
        conn.client.stream.destroy();
        await closed;
        return;
      }
      stats.reconnects++;
      if (pool) return;
      conn.client.options.reconnectPeriod = 1000;
      const connected = once(conn.client, 'connect');
      conn.client.reconnect();
      await connected;
    },
    async drain() {
      while (inflight > 0) await new Promise<void>((r) => waiters.push(r));
    },
    async stop(opts = {}) {
      // A meter whose link is down (an outage-will) has its will published by the broker already, and a
      // publish on a client that will not reconnect would wait for ever: announce only on live links.
      if (opts.announceOffline) {
        for (const m of o.meterIds)
          if (byMeter.get(m)!.client.connected) {
            const off = offlineOf(m);
            await publish(byMeter.get(m)!, off.topic, off.payload, 1, true);
          }
      }
      await this.drain();
      await Promise.all([...conns.values()].map((c) => c.client.endAsync(!c.client.connected)));
      conns.clear();
    },
  };
}
