/**
 * The MQTT side of the service as components: the ingest pipeline, then the embedded broker (with its
 * identities, topic rights and client-id bindings) or the subscriber of an external broker, and the optional
 * Home Assistant discovery published through whichever of the two the service has.
 */
import { createMqttAuth } from '../auth/mqtt-auth.ts';
import { createEmbeddedBroker, type EmbeddedBroker } from '../broker/embedded.ts';
import { createExternalSubscriber, type ExternalSubscriber } from '../broker/external-subscriber.ts';
import { maxPacketBytesFor } from '../broker/packet-size-guard.ts';
import { ingestFilters } from '../formats/device-index.ts';
import { deviceTopics } from '../formats/device-topics.ts';
import { createHomeAssistant } from '../ingest/home-assistant.ts';
import { createIngestPipeline, type IngestPipeline } from '../ingest/pipeline.ts';
import type { StoredReadingsListener } from '../model/reading.ts';
import type { BatchWriter } from '../store/batch-writer.ts';
import type { Spool } from '../store/spool.ts';
import { component, type Component } from '../util/lifecycle.ts';
import type { ServiceContext } from './context.ts';
import type { Prepared } from './prepare.ts';

export function ingestPart(
  ctx: ServiceContext,
  writer: BatchWriter,
  spool: Spool | undefined,
  listeners: readonly StoredReadingsListener[],
): { ingest: IngestPipeline; component: Component } {
  const { spool: _spoolConfig, ...ingestConfig } = ctx.config.ingest;
  const ingest = createIngestPipeline({
    registry: ctx.registry,
    // With the spool, ingest's lines are acknowledged once on disk; the spool replays them to the writer.
    writer: spool
      ? { write: (lines) => spool.write(lines), state: () => writer.state(), stop: (t) => writer.stop(t) }
      : writer,
    metrics: ctx.metrics,
    live: ctx.live,
    log: ctx.log.child({ component: 'ingest' }),
    // Derived data follows stored readings: rollup marks (written with the readings), then the fee days.
    listeners,
    ...ingestConfig,
  });
  return { ingest, component: component('ingest', () => ingest.stop(), 1_000) };
}

export interface BrokerHandle {
  readonly broker: EmbeddedBroker | undefined;
  readonly subscriber: ExternalSubscriber | undefined;
  readonly components: Component[];
}

function externalPart(ctx: ServiceContext, ingest: IngestPipeline): BrokerHandle {
  const { config } = ctx;
  const subscriber = createExternalSubscriber({
    url: config.mqtt.brokerUrl!,
    clientId: config.mqtt.clientId,
    maxInflight: config.mqtt.maxInflight,
    maxInflightBytes: config.mqtt.maxInflightBytes,
    topics: ingestFilters(ctx.registry),
    ingest,
    log: ctx.log.child({ component: 'mqtt' }),
    ...(config.mqtt.username !== undefined && { username: config.mqtt.username }),
    ...(config.mqtt.password !== undefined && { password: config.mqtt.password }),
    ...(config.mqtt.sharedGroup !== undefined && { sharedGroup: config.mqtt.sharedGroup }),
  });
  return {
    broker: undefined,
    subscriber,
    components: [
      component(
        'mqtt-subscriber',
        () => subscriber.stop(),
        15_000,
        () => subscriber.start(),
      ),
    ],
  };
}

export function brokerPart(ctx: ServiceContext, ingest: IngestPipeline, prepared: Prepared): BrokerHandle {
  const { config, metrics } = ctx;
  if (config.mqtt.brokerUrl) return externalPart(ctx, ingest);
  const blog = ctx.log.child({ component: 'broker' });
  const identities = prepared.identities!;
  const auth = createMqttAuth({
    table: identities.table,
    bindings: identities.bindings,
    maxConnectionsPerIdentity: config.mqtt.maxConnectionsPerIdentity,
    retainedMaxBytes: config.mqtt.retainedMaxBytes,
    allowAnonymous: config.mqtt.allowAnonymous,
    metrics: metrics.registry,
    log: blog,
    devices: deviceTopics(ctx.registry),
  });
  const broker = createEmbeddedBroker({
    host: config.mqtt.embeddedHost,
    port: config.mqtt.embeddedPort,
    ingest,
    log: blog,
    maxPacketBytes: maxPacketBytesFor(config.ingest.maxPayloadBytes),
    onPacketTooLarge: () => metrics.rejected.inc({ reason: 'packet-too-large' }),
    auth,
    plainTcp: config.mqtt.plainTcp,
    connectTimeoutMs: config.mqtt.connectTimeoutMs,
    ...(prepared.mqttTls && { tls: prepared.mqttTls }),
  });
  return {
    broker,
    subscriber: undefined,
    components: [
      // Stopped after the broker: the last client ids recorded are on disk.
      component('client-id-bindings', () => identities.bindings.flush(), 5_000),
      component(
        'broker',
        () => broker.stop(),
        15_000,
        () => broker.start(),
      ),
    ],
  };
}

/** Optional (mqtt.homeAssistantDiscovery): published through whichever broker connection the service has. */
export function homeAssistantPart(ctx: ServiceContext, via: EmbeddedBroker | ExternalSubscriber): Component {
  const { config } = ctx;
  const ha = createHomeAssistant({
    registry: ctx.registry,
    live: ctx.live,
    publish: (topic, payload, retain) => via.publish(topic, payload, retain),
    log: ctx.log.child({ component: 'home-assistant' }),
    prefix: config.mqtt.homeAssistantPrefix,
    intervalMs: config.mqtt.homeAssistantStateIntervalMs,
  });
  return component(
    'home-assistant',
    () => ha.stop(),
    5_000,
    () => ha.start(),
  );
}
