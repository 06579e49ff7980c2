/**
 * Composition root. Phase 1 (src/service/prepare.ts) checks everything that can refuse to start before any
 * port opens; phase 2 builds the components (src/service/*.ts) and starts them in order through one lifecycle
 * (src/util/lifecycle.ts): writer, spool, rollups, fee days, seals, ingest, broker, Home Assistant, HTTP. stop() stops
 * them in reverse, each bounded by its own timeout.
 */
import { getHeapStatistics } from 'node:v8';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { MqttIdentity } from './auth/mqtt-credentials.ts';
import type { EmbeddedBroker } from './broker/embedded.ts';
import type { ExternalSubscriber } from './broker/external-subscriber.ts';
import type { Config } from './config/schema.ts';
import { createIngestMetrics, type IngestMetrics } from './ingest/metrics.ts';
import type { FeeDays } from './ledger/fee-days-updater.ts';
import { seedLiveState } from './live/live-seed.ts';
import { createLiveState, type LiveState } from './live/live-state.ts';
import type { Registry } from './registry/types.ts';
import type { Rollups } from './rollup/index.ts';
import type { ServiceContext } from './service/context.ts';
import { httpPart, type Plugins } from './service/http.ts';
import { brokerPart, homeAssistantPart, ingestPart } from './service/mqtt.ts';
import { prepare } from './service/prepare.ts';
import { feeDaysPart, rollupsPart, spoolPart, writerPart } from './service/storage.ts';
import { sealsPart } from './service/seals.ts';
import type { Sealing } from './seal/index.ts';
import type { SealWorker } from './seal/seal-worker.ts';
import type { BatchWriter } from './store/batch-writer.ts';
import type { InfluxTarget } from './store/influx-target.ts';
import type { Spool } from './store/spool.ts';
import { createLifecycle } from './util/lifecycle.ts';
import { redactUrl } from './util/redact.ts';

export { ServiceStartError } from './service/prepare.ts';

export interface Service {
  readonly httpUrl: string;
  readonly brokerUrl: string;
  /** The embedded broker's mqtts URL when its TLS listener is on. */
  readonly brokerTlsUrl: string | undefined;
  readonly influx: InfluxTarget;
  readonly metrics: IngestMetrics;
  readonly live: LiveState;
  readonly app: FastifyInstance;
  readonly writer: BatchWriter;
  /** The durable local spool, when `ingest.spool.enabled`. */
  readonly spool: Spool | undefined;
  /** Hour/day rollups the ledger reads; flush() waits until everything stored so far is rolled up. */
  readonly rollups: Rollups;
  /** The fee_1d measurement (fees per meter and day) that Grafana reads. */
  readonly feeDays: FeeDays;
  /** The daily seals (keys, store, sealer) and their worker (flush() runs a pass: amendments first). */
  readonly seals: { readonly sealing: Sealing; readonly worker: SealWorker };
  /** After a first start on loopback: the generated admin's API token (print it once; only its hash is kept). */
  readonly adminToken: string | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What the started service exposes (set once phase 2 built it). */
interface Parts {
  target: InfluxTarget;
  writer: BatchWriter;
  spool: Spool | undefined;
  rollups: Rollups;
  feeDays: FeeDays;
  seals: { sealing: Sealing; worker: SealWorker };
  broker: EmbeddedBroker | undefined;
  subscriber: ExternalSubscriber | undefined;
  http: ReturnType<typeof httpPart>;
}

export function createService(
  config: Config,
  registry: Registry,
  log: Logger,
  extra: {
    plugins?: Plugins;
    /** Identities kept in memory only, e.g. the simulator of `serve --simulate`. */
    mqttIdentities?: readonly MqttIdentity[];
  } = {},
): Service {
  const metrics = createIngestMetrics();
  const live = createLiveState();
  const life = createLifecycle();
  /** Resolved when stop() begins: a rollup pass waiting for the spool to replay gives up then. */
  let markStopping: () => void = () => {};
  let stopping = new Promise<void>((r) => (markStopping = r));
  let parts: Parts | undefined;
  let started = false;
  let adminToken: string | undefined;
  /** Before start() the handles are undefined, as they always were (callers read them after start). */
  const part = <K extends keyof Parts>(k: K): Parts[K] => parts?.[k] as Parts[K];

  async function startAll(): Promise<void> {
    const prepared = await prepare(config, registry, log, (c) => life.started(c), extra.mqttIdentities ?? []);
    const target = prepared.target;
    const ctx: ServiceContext = { config, registry, log, metrics, live, target, stopping };
    // Phase 2: nothing below can be refused by configuration; the broker opens only at its turn.
    const nothingStoredFromMs = await seedLiveState(
      target,
      live,
      registry.meters.map((m) => m.id),
      Date.now(),
    ).catch((err: Error) => void log.warn({ err: err.message }, 'Could not seed live state from InfluxDB.'));
    const { writer, components: writerParts, onPoison } = writerPart(ctx);
    for (const c of writerParts) await life.start(c);
    const spooled = spoolPart(ctx, writer);
    if (spooled) await life.start(spooled.component);
    const spool = spooled?.spool;
    const { rollups, component: rollupsComponent } = rollupsPart(ctx, writer, spool, nothingStoredFromMs);
    // A line InfluxDB refused is acknowledged but not stored: the readings rollups hold in memory may count it.
    onPoison(() => rollups.worker.distrustTails());
    await life.start(rollupsComponent);
    const { feeDays, components: feeParts } = feeDaysPart(ctx, prepared.tariffs, writer, rollups);
    for (const c of feeParts) await life.start(c);
    const { sealing, worker: sealWorker, components: sealParts } = sealsPart(ctx);
    for (const c of sealParts) await life.start(c);
    const seals = { sealing, worker: sealWorker };
    const { ingest, component: ingestComponent } = ingestPart(ctx, writer, spool, [rollups.marks, feeDays, sealWorker]);
    await life.start(ingestComponent);
    const brokers = brokerPart(ctx, ingest, prepared);
    for (const c of brokers.components) await life.start(c);
    if (config.mqtt.homeAssistantDiscovery)
      await life.start(homeAssistantPart(ctx, brokers.broker ?? brokers.subscriber!));
    adminToken = await prepared.people.createFirstAdmin?.();
    const http = httpPart(ctx, {
      tariffs: prepared.tariffs,
      people: prepared.people,
      state: prepared.state,
      writer,
      spool,
      rollups,
      broker: brokers.broker,
      subscriber: brokers.subscriber,
      plugins: extra.plugins,
      sealing,
    });
    parts = {
      target,
      writer,
      spool,
      rollups,
      feeDays,
      seals,
      broker: brokers.broker,
      subscriber: brokers.subscriber,
      http,
    };
    await life.start(http.component);
  }

  const service: Service = {
    get httpUrl() {
      return parts?.http.url() ?? '';
    },
    get brokerUrl() {
      return parts?.broker?.url ?? config.mqtt.brokerUrl ?? '';
    },
    get brokerTlsUrl() {
      return parts?.broker?.tlsUrl;
    },
    get influx() {
      return part('target');
    },
    metrics,
    live,
    get app() {
      return part('http')?.app();
    },
    get writer() {
      return part('writer');
    },
    get spool() {
      return parts?.spool;
    },
    get rollups() {
      return part('rollups');
    },
    get feeDays() {
      return part('feeDays');
    },
    get seals() {
      return part('seals');
    },
    get adminToken() {
      return adminToken;
    },
    async start() {
      if (started) return;
      started = true;
      await startAll();
      log.info(
        {
          http: service.httpUrl,
          broker: redactUrl(service.brokerUrl),
          influx: redactUrl(part('target').url),
          meters: registry.meters.length,
          components: life.names(),
          heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
        },
        'Service started.',
      );
    },
    async stop() {
      markStopping();
      // Appends waiting for room in a full spool would hold the broker's close forever: fail them (unacknowledged).
      parts?.spool?.refuse();
      await life.stopAll(
        (name, err) => log.warn({ component: name, err: err.message }, 'Error while stopping a component.'),
        (name, ms) =>
          log.warn({ component: name, ms }, 'A component did not stop in time; the next start recovers what it left.'),
      );
      started = false;
      stopping = new Promise<void>((r) => (markStopping = r));
    },
  };
  return service;
}
