import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import { watchRevocations, type MqttAuth } from '../auth/mqtt-auth.ts';
import { listenTls, type TlsMaterial } from '../auth/mqtt-tls.ts';
import type { BrokerHealth } from './broker-health.ts';
import type { IngestPipeline } from '../ingest/pipeline.ts';
import { guardPacketSize } from './packet-size-guard.ts';
import { createSettleGroups } from '../util/settle-groups.ts';

export interface EmbeddedBroker {
  readonly url: string;
  /** mqtts://host:port when the TLS listener is on. */
  readonly tlsUrl: string | undefined;
  readonly port: number;
  clients(): number;
  /** Measured state for /health: the listener is open. */
  health(): BrokerHealth;
  /** Publish from the service itself (Home Assistant discovery); not run through ingest. */
  publish(topic: string, payload: string, retain: boolean): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * aedes sends the PUBACK after authorizePublish, then routes the same packet object through broker.publish: a
 * packet in `swallowed` ends there (not delivered, not retained). The broker's own publishes are other objects.
 */
function swallowAfterAck(b: Aedes, swallowed: WeakSet<PublishPacket>): void {
  // aedes calls publish(packet, client, done) internally; its types know only publish(packet, done).
  type Publish = (packet: PublishPacket, client: unknown, done?: (err?: Error) => void) => void;
  const publish = (b.publish as unknown as Publish).bind(b);
  const guarded: Publish = (packet, client, done) => {
    if (!swallowed.has(packet)) return publish(packet, client, done);
    (typeof client === 'function' ? (client as (err?: Error) => void) : done)?.();
  };
  b.publish = guarded as unknown as Aedes['publish'];
}

/**
 * Embedded aedes broker (MQTT 3.1.1). aedes sends the PUBACK only after `authorizePublish` calls back,
 * and runs wills through it too, so ingest happens in that hook: a QoS 1 reading is acknowledged to the
 * meter only once it is stored (architecture principle 3). Messages are still routed to subscribers.
 */
export function createEmbeddedBroker(opts: {
  host: string;
  port: number;
  ingest: IngestPipeline;
  log: Logger;
  /** Packets above this close the connection before their body is read (see packet-size-guard.ts). */
  maxPacketBytes?: number;
  /** Called once for each connection closed for an oversized packet (the service counts it). */
  onPacketTooLarge?: () => void;
  /** Identities and topic rights (src/auth); without it every client may do anything (library use only). */
  auth?: MqttAuth;
  /** An mqtts listener too; plainTcp false leaves only it. */
  tls?: TlsMaterial;
  plainTcp?: boolean;
  /** Without auth: a retained status above this is not retained (with auth, its own bound applies). */
  retainedMaxBytes?: number;
  /** A connection without CONNECT (on mqtts: without a finished handshake) is closed after this (aedes: 30 s). */
  connectTimeoutMs?: number;
}): EmbeddedBroker {
  const { ingest, log } = opts;
  // Without identities (library use) the same bound applies, minus the topic ownership.
  const mayRetain = (client: Client | null, packet: PublishPacket, accepted: boolean) =>
    opts.auth
      ? opts.auth.mayRetain(client, packet, accepted)
      : accepted && (packet.payload as Buffer).length <= (opts.retainedMaxBytes ?? 1024);
  let broker: Aedes | undefined;
  let server: Server | undefined;
  let port = opts.port;
  let unwatch = () => {};
  let tlsServer: Server | undefined;
  /** Publishes acknowledged but never routed (see authorizePublish). */
  const swallowed = new WeakSet<PublishPacket>();
  const tlsPort = () => (tlsServer?.address() as { port?: number } | null)?.port;
  type Done = (err?: Error | null) => void;
  /**
   * aedes' callbacks of messages stored by the same write, called together once it is stored (issue 27: a
   * handle() promise, an async frame and two reactions per message cost the embedded path as much as they had
   * cost the external subscriber). A failed write closes each connection (aedes does) without a PUBACK.
   */
  const afterWrite = createSettleGroups<Done>(
    (callbacks) => {
      for (const done of callbacks) done(null);
    },
    (callbacks, err) => {
      log.error({ err, messages: callbacks.length }, 'Ingest failed; messages not acknowledged.');
      for (const done of callbacks) done(err as Error);
    },
  );

  /** aedes takes the connection; the packet-size guard follows its framing from aedes's own reads. */
  function acceptConnection(b: Aedes) {
    return (conn: Socket) => {
      b.handle(conn);
      if (opts.maxPacketBytes === undefined) return;
      guardPacketSize(conn, opts.maxPacketBytes, (info) => {
        opts.onPacketTooLarge?.();
        log.warn(
          { ...info, maxPacketBytes: opts.maxPacketBytes },
          'MQTT packet above the size bound; connection closed before reading it.',
        );
      });
    };
  }
  return {
    get url() {
      return opts.plainTcp === false ? `mqtts://${opts.host}:${tlsPort()}` : `mqtt://${opts.host}:${port}`;
    },
    get tlsUrl() {
      return tlsServer ? `mqtts://${opts.host}:${tlsPort()}` : undefined;
    },
    get port() {
      return port;
    },
    clients: () => broker?.connectedClients ?? 0,
    health() {
      return {
        mode: 'embedded',
        url: this.url,
        connected: (server ?? tlsServer)?.listening ?? false,
        clients: broker?.connectedClients ?? 0,
      };
    },
    publish(topic, payload, retain) {
      const b = broker;
      if (!b) return Promise.reject(new Error('embedded broker is not running'));
      const packet = {
        cmd: 'publish',
        topic,
        payload: Buffer.from(payload),
        qos: 0,
        retain,
        dup: false,
      } as PublishPacket;
      return new Promise((resolve, reject) => b.publish(packet, (err) => (err ? reject(err) : resolve())));
    },
    async start() {
      const auth = opts.auth;
      broker = await Aedes.createBroker({
        ...(opts.connectTimeoutMs !== undefined && { connectTimeout: opts.connectTimeoutMs }),
        ...(auth && { authenticate: auth.authenticate, authorizeSubscribe: auth.authorizeSubscribe }),
        authorizePublish(client: Client | null, packet: PublishPacket, callback: (err?: Error | null) => void) {
          if (packet.topic.startsWith('$')) {
            // MQTT 3.1.1 4.7.2: `$` topics are the broker's ($SYS among them). As Mosquitto does: acknowledged
            // (3.1.1 has no negative PUBACK; closing made a persistent session resend it forever, issue 22), never
            // routed, retained or ingested. auth counts and logs it as a refused publish (reason reserved-topic).
            auth?.checkPublish(client, packet);
            swallowed.add(packet);
            return callback(null);
          }
          // Refused before ingest: nothing of a refused client is stored (aedes then closes its connection).
          const refused = auth?.checkPublish(client, packet);
          if (refused) return callback(refused);
          if (!packet.retain) {
            let stored: Promise<void>;
            try {
              stored = ingest.accept(packet.topic, packet.payload as Buffer);
            } catch (err) {
              log.error({ err, clientId: client?.id, topic: packet.topic }, 'Ingest failed; message not acknowledged.');
              return callback(err as Error);
            }
            return afterWrite.add(stored, callback);
          }
          // A publisher's retain flag asks the broker to keep the message; it is a live message, not a replay.
          ingest.handle(packet.topic, packet.payload as Buffer).then(
            (outcome) => {
              // aedes stores the retained copy after this callback, from this packet: only an accepted status stays.
              if (packet.retain) packet.retain = mayRetain(client, packet, outcome.statuses > 0 && !outcome.rejected);
              callback(null);
            },
            (err: unknown) => {
              log.error({ err, clientId: client?.id, topic: packet.topic }, 'Ingest failed; message not acknowledged.');
              callback(err as Error);
            },
          );
        },
      });
      swallowAfterAck(broker, swallowed);
      broker.on('clientError', (client, err) =>
        log.debug({ clientId: client?.id, err: err.message }, 'MQTT client error.'),
      );
      const live = broker as unknown as { clients: Record<string, Client> }; // aedes keeps it untyped
      if (auth) unwatch = watchRevocations(auth, () => Object.values(live.clients), log);
      if (opts.tls) tlsServer = await listenTls(acceptConnection(broker), opts.host, opts.tls, opts.connectTimeoutMs);
      if (opts.plainTcp !== false) {
        server = createServer(acceptConnection(broker));
        await new Promise<void>((resolve, reject) => {
          server!.once('error', reject);
          server!.listen(opts.port, opts.host, () => resolve());
        });
        const addr = server.address();
        if (addr && typeof addr === 'object') port = addr.port;
      }
      log.info({ url: this.url, tls: this.tlsUrl }, 'Embedded MQTT broker listening.');
    },
    async stop() {
      const s = server;
      const b = broker;
      server = undefined;
      broker = undefined;
      unwatch();
      if (b) await new Promise<void>((r) => b.close(() => r()));
      if (s) await new Promise<void>((r) => s.close(() => r()));
      const t = tlsServer;
      tlsServer = undefined;
      if (t) await new Promise<void>((r) => t.close(() => r()));
    },
  };
}
