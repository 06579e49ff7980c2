import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { IngestPipeline } from '../ingest/pipeline.ts';
import type { BrokerHealth } from './broker-health.ts';
import { installOrderedAcks } from './ordered-acks.ts';
import { redactUrl } from '../util/redact.ts';

export interface ExternalSubscriber {
  connected(): boolean;
  health(): BrokerHealth;
  /** Publish from the service itself (Home Assistant discovery), QoS 1. */
  publish(topic: string, payload: string, retain: boolean): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ExternalSubscriberOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** `$share/<group>/meters/#` so several ingesters split one stream (Mosquitto 2, EMQX). */
  sharedGroup?: string;
  /** Topic filters to subscribe (default meters/#): our own topics plus the registered devices' (devices.yaml). */
  topics?: readonly string[];
  maxInflight: number;
  /** Payload bytes of the messages held unacknowledged, at most. */
  maxInflightBytes: number;
  ingest: IngestPipeline;
  log: Logger;
}

/**
 * Ingest from an external broker: QoS 1, persistent session (clean=false, fixed client id), so messages
 * published while the service is down wait in the broker. PUBACKs go out only after the message is stored.
 */
const noLog = (): void => {};

export function createExternalSubscriber(opts: ExternalSubscriberOptions): ExternalSubscriber {
  const { ingest, log } = opts;
  // The URL may hold the broker credentials (mqtt://user:secret@host): logs and errors show it redacted.
  const shownUrl = redactUrl(opts.url);
  let client: MqttClient | undefined;
  const topic = (opts.topics ?? ['meters/#']).map((t) => (opts.sharedGroup ? `$share/${opts.sharedGroup}/${t}` : t));
  return {
    connected: () => client?.connected ?? false,
    health: () => ({ mode: 'external', url: opts.url, connected: client?.connected ?? false }),
    async publish(topic, payload, retain) {
      if (!client) throw new Error('not connected to the MQTT broker');
      await client.publishAsync(topic, payload, { qos: 1, retain });
    },
    async start() {
      client = mqtt.connect(opts.url, {
        clientId: opts.clientId,
        clean: false,
        protocolVersion: 4,
        reconnectPeriod: 1000,
        connectTimeout: 10_000,
        resubscribe: true,
        // mqtt.js logs every packet through `debug` even when it is off: ~9% of ingest's allocations and 2% of its
        // CPU in a backlog drain (issue 27). DEBUG=mqttjs* still turns its log on for troubleshooting.
        ...(!process.env.DEBUG && { log: noLog }),
        ...(opts.username !== undefined && { username: opts.username }),
        ...(opts.password !== undefined && { password: opts.password }),
      });
      const acks = installOrderedAcks(client, opts.maxInflight, opts.maxInflightBytes);
      client.handleMessage = (packet, done) => {
        const stored = ingest.accept(packet.topic, packet.payload as Buffer, packet.retain);
        if (packet.qos > 0 && packet.messageId !== undefined)
          acks.hold(packet.messageId, stored, (packet.payload as Buffer).length);
        done();
      };
      client.on('error', (err) => log.warn({ err: err.message, url: shownUrl }, 'MQTT connection error.'));
      client.on('reconnect', () => log.info({ url: shownUrl }, 'Reconnecting to MQTT broker.'));
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error) =>
          reject(
            new Error(
              `cannot connect to MQTT broker ${shownUrl}: ${err.message} (check KZM_MQTT_BROKER_URL and credentials)`,
            ),
          );
        client!.once('error', onError);
        client!.once('connect', (connack) => {
          client!.off('error', onError);
          // With a resumed session the subscription already exists; subscribing again is harmless.
          client!.subscribe(topic, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
          log.info(
            { url: shownUrl, topic, sessionPresent: connack.sessionPresent },
            'Subscribed to external MQTT broker.',
          );
        });
      });
    },
    async stop() {
      const c = client;
      client = undefined;
      if (c) await c.endAsync();
    },
  };
}
