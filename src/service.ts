import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { prepareHttpAuth, type HttpAuthSetup } from './auth/http-setup.ts';
import { prepareMqttIdentities } from './auth/mqtt-setup.ts';
import { createMqttAuth } from './auth/mqtt-auth.ts';
import { readMqttTls, type TlsMaterial } from './auth/mqtt-tls.ts';
import type { IdentityTable, MqttIdentity } from './auth/mqtt-credentials.ts';
import { deviceTopics } from './broker/device-topics.ts';
import { createEmbeddedBroker, type EmbeddedBroker } from './broker/embedded.ts';
import { createExternalSubscriber, type ExternalSubscriber } from './broker/external-subscriber.ts';
import { feeSettings } from './config/fee-settings.ts';
import type { Config } from './config/schema.ts';
import { loadTariffs, type TariffSet } from './fees/index.ts';
import { buildApp } from './http/app.ts';
import { dashboardRoutes } from './http/dashboard/index.ts';
import { ledgerRoutes } from './http/routes/ledger.ts';
import { periodRoutes } from './http/routes/periods.ts';
import { createFeeDays, type FeeDays } from './ledger/fee-days-updater.ts';
import { createIngestMetrics, writerMetrics, type IngestMetrics } from './ingest/metrics.ts';
import { createIngestPipeline, type IngestPipeline } from './ingest/pipeline.ts';
import { ingestFilters } from './ingest/formats/device-index.ts';
import { createHomeAssistant } from './ingest/home-assistant.ts';
import { startIngestProgressLog } from './ingest/progress-log.ts';
import { seedLiveState } from './live/live-seed.ts';
import { createLiveState, type LiveState } from './live/live-state.ts';
import { createPeriodService } from './periods/period-service.ts';
import type { Registry } from './registry/types.ts';
import { createRollups, type Rollups } from './rollup/index.ts';
import { createBatchWriter, type BatchWriter } from './store/batch-writer.ts';
import { influxTarget, type InfluxTarget } from './store/influx-target.ts';
import { createLocalInflux } from './store/local-influxd.ts';
import { ensureDatabase, waitForInflux } from './store/setup.ts';
import { createWriteApi } from './store/write-api.ts';

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
  /** Hour/day rollups the ledger reads; flush() waits until everything stored so far is rolled up. */
  readonly rollups: Rollups;
  /** The fee_1d measurement (fees per meter and day) that Grafana reads. */
  readonly feeDays: FeeDays;
  /** After a first start on loopback: the generated admin's API token (print it once; only its hash is kept). */
  readonly adminToken: string | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A start-up check refused: nothing listens yet, and the message says what to fix. */
export class ServiceStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceStartError';
  }
}

type Stops = (() => Promise<unknown>)[];

/** What phase 1 proved before any port opens. */
interface Prepared {
  readonly target: InfluxTarget;
  readonly tariffs: TariffSet;
  /** The embedded broker's identities (undefined with an external broker). */
  readonly identities: IdentityTable | undefined;
  readonly people: HttpAuthSetup;
  readonly mqttTls: TlsMaterial | undefined;
}

/**
 * Phase 1: everything that can refuse to start, before the broker accepts a single message. The registry
 * was validated by its loader; the tariffs are read here; InfluxDB (local or configured) must answer and
 * hold the database.
 */
async function prepare(
  config: Config,
  registry: Registry,
  log: Logger,
  stops: Stops,
  fixedIdentities: readonly MqttIdentity[],
): Promise<Prepared> {
  const identities = prepareMqttIdentities(config, registry, fixedIdentities, log.child({ component: 'broker' }));
  if (!identities.ok) throw new ServiceStartError(identities.reason);
  const mqttTls = config.mqtt.brokerUrl ? ({ ok: true, value: undefined } as const) : readMqttTls(config);
  if (!mqttTls.ok) throw new ServiceStartError(mqttTls.reason);
  const people = await prepareHttpAuth(config, log.child({ component: 'http' }));
  if (!people.ok) throw new ServiceStartError(people.reason);
  const tariffs = await loadTariffs(config.tariffsDir);
  if (!tariffs.ok) {
    throw new ServiceStartError(
      `Tariff schedules in ${config.tariffsDir} are invalid: ${tariffs.reason}. Fix the file or point KZM_TARIFFS_DIR at valid ones.`,
    );
  }
  let url = config.influx.url;
  if (!url) {
    const local = createLocalInflux({
      dataDir: join(config.dataDir, 'influxdb'),
      bin: config.influx.influxdPath,
      log: log.child({ component: 'influxd' }),
    });
    stops.unshift(() => local.stop());
    await local.start();
    url = local.url;
  }
  const target = influxTarget(config.influx, url);
  await waitForInflux(target, 30_000);
  if (config.influx.createIfMissing) await ensureDatabase(target, log);
  return { target, tariffs: tariffs.value, identities: identities.value, people: people.value, mqttTls: mqttTls.value };
}

/** Composition root: phase 1 checks (prepare), then writer, rollups, broker, HTTP; stop in reverse. */
export function createService(
  config: Config,
  registry: Registry,
  log: Logger,
  extra: {
    plugins?: Parameters<typeof buildApp>[0]['plugins'];
    /** Identities kept in memory only, e.g. the simulator of `serve --simulate`. */
    mqttIdentities?: readonly MqttIdentity[];
  } = {},
): Service {
  const metrics = createIngestMetrics();
  const live = createLiveState();
  let target!: InfluxTarget;
  let writer!: BatchWriter;
  let rollups!: Rollups;
  let feeDays!: FeeDays;
  let broker: EmbeddedBroker | undefined;
  let subscriber: ExternalSubscriber | undefined;
  let app!: FastifyInstance;
  let httpUrl = '';
  let started = false;
  let adminToken: string | undefined;
  const stops: Stops = [];

  function startWriter(): BatchWriter {
    const wlog = log.child({ component: 'writer' });
    const w = createBatchWriter({
      writeApi: createWriteApi(target, config.influx.batchSize),
      batchSize: config.influx.batchSize,
      lingerMs: config.influx.flushIntervalMs,
      log: wlog,
      metrics: writerMetrics(metrics),
      onPoison: (lines, error) => {
        metrics.rejected.inc({ reason: 'influx-rejected' }, lines.length);
        wlog.error(
          { error, line: lines[0]?.slice(0, 300) },
          'InfluxDB refused a line; it is acknowledged and not retried.',
        );
      },
    });
    stops.unshift(() => w.stop());
    return w;
  }

  /**
   * fee_1d, through a writer of its own: derived fees are not ingest, so they neither hold readings'
   * acknowledgements back nor show as ingest's pending lines in /health (batches and points are counted).
   */
  async function startFeeDays(tariffs: TariffSet): Promise<FeeDays> {
    const flog = log.child({ component: 'fee-days' });
    const sink = createBatchWriter({
      writeApi: createWriteApi(target, config.influx.batchSize),
      batchSize: config.influx.batchSize,
      lingerMs: config.influx.flushIntervalMs,
      log: flog,
      metrics: { ...writerMetrics(metrics), onPending: () => {} },
    });
    stops.unshift(() => sink.stop());
    const f = createFeeDays({
      registry,
      tariffs,
      target,
      sink,
      log: flog,
      beforeRead: () => rollups.flush(30_000),
      ...feeSettings(config),
      prices: registry.prices,
    });
    await f.start();
    stops.unshift(() => f.stop());
    return f;
  }

  async function startBroker(ingest: IngestPipeline, prepared: Prepared): Promise<void> {
    if (config.mqtt.brokerUrl) {
      const s = createExternalSubscriber({
        url: config.mqtt.brokerUrl,
        clientId: config.mqtt.clientId,
        maxInflight: config.mqtt.maxInflight,
        topics: ingestFilters(registry),
        ingest,
        log: log.child({ component: 'mqtt' }),
        ...(config.mqtt.username !== undefined && { username: config.mqtt.username }),
        ...(config.mqtt.password !== undefined && { password: config.mqtt.password }),
        ...(config.mqtt.sharedGroup !== undefined && { sharedGroup: config.mqtt.sharedGroup }),
      });
      subscriber = s;
      await s.start();
      stops.unshift(() => s.stop());
      return;
    }
    const blog = log.child({ component: 'broker' });
    const auth = createMqttAuth({
      table: prepared.identities!,
      allowAnonymous: config.mqtt.allowAnonymous,
      metrics: metrics.registry,
      log: blog,
      devices: deviceTopics(registry),
    });
    const b = createEmbeddedBroker({
      host: config.mqtt.embeddedHost,
      port: config.mqtt.embeddedPort,
      ingest,
      log: blog,
      auth,
      plainTcp: config.mqtt.plainTcp,
      ...(prepared.mqttTls && { tls: prepared.mqttTls }),
    });
    broker = b;
    await b.start();
    stops.unshift(() => b.stop());
  }

  /** Optional (mqtt.homeAssistantDiscovery): published through whichever broker connection the service has. */
  async function startHomeAssistant(): Promise<void> {
    const via = broker ?? subscriber!;
    const ha = createHomeAssistant({
      registry,
      live,
      publish: (topic, payload, retain) => via.publish(topic, payload, retain),
      log: log.child({ component: 'home-assistant' }),
      prefix: config.mqtt.homeAssistantPrefix,
      intervalMs: config.mqtt.homeAssistantStateIntervalMs,
    });
    await ha.start();
    stops.unshift(() => ha.stop());
  }

  async function startHttp(tariffs: TariffSet, people: HttpAuthSetup): Promise<void> {
    const beforeRead = () => rollups.flush(30_000);
    const fees = feeSettings(config);
    const periods = createPeriodService({ registry, tariffs, target, dataDir: config.dataDir, beforeRead, ...fees });
    const plugins = [
      ledgerRoutes({ registry, tariffs, target, beforeRead, rollupChanges: rollups.changes, ...fees }),
      periodRoutes({ periods }),
      dashboardRoutes({ registry, tariffs, target, beforeRead, rollupChanges: rollups.changes, ...fees, live }),
      ...(extra.plugins ?? []),
    ];
    const health = {
      influx: target,
      writer,
      broker: () => broker?.health() ?? subscriber!.health(),
    };
    const auth = { ...people, registry, allowAnonymous: config.http.allowAnonymous };
    app = await buildApp({ registry, live, metrics, health, log, plugins, auth });
    await app.listen({ host: config.http.host, port: config.http.port });
    stops.unshift(() => app.close());
    const addr = app.server.address();
    httpUrl = `http://${config.http.host}:${addr && typeof addr === 'object' ? addr.port : config.http.port}`;
  }

  return {
    get httpUrl() {
      return httpUrl;
    },
    get brokerUrl() {
      return broker?.url ?? config.mqtt.brokerUrl ?? '';
    },
    get brokerTlsUrl() {
      return broker?.tlsUrl;
    },
    get influx() {
      return target;
    },
    metrics,
    live,
    get app() {
      return app;
    },
    get writer() {
      return writer;
    },
    get rollups() {
      return rollups;
    },
    get feeDays() {
      return feeDays;
    },
    get adminToken() {
      return adminToken;
    },
    async start() {
      if (started) return;
      started = true;
      const prepared = await prepare(config, registry, log, stops, extra.mqttIdentities ?? []);
      target = prepared.target;
      // Phase 2: nothing below can be refused by configuration; the broker opens only now.
      await seedLiveState(target, live).catch((err: Error) =>
        log.warn({ err: err.message }, 'Could not seed live state from InfluxDB.'),
      );
      writer = startWriter();
      const stopProgress = startIngestProgressLog(metrics, log.child({ component: 'ingest' }));
      stops.unshift(async () => stopProgress());
      rollups = createRollups({
        config,
        registry,
        target,
        sink: writer,
        log: log.child({ component: 'rollup' }),
        metrics: metrics.registry,
      });
      await rollups.start();
      stops.unshift(() => rollups.stop());
      feeDays = await startFeeDays(prepared.tariffs);
      const marks = rollups.marks;
      const ingest = createIngestPipeline({
        registry,
        writer,
        metrics,
        live,
        log: log.child({ component: 'ingest' }),
        // Stored readings also move the fee days (fee_1d) they fall in.
        rollupMarks: {
          linesFor: (readings, rx) => marks.linesFor(readings, rx),
          stored: (readings, rx) => {
            marks.stored(readings, rx);
            feeDays.markStored(readings);
          },
          oldestInFlightMs: () => marks.oldestInFlightMs(),
        },
        ...config.ingest,
      });
      stops.unshift(async () => ingest.stop());
      await startBroker(ingest, prepared);
      if (config.mqtt.homeAssistantDiscovery) await startHomeAssistant();
      adminToken = await prepared.people.createFirstAdmin?.();
      await startHttp(prepared.tariffs, prepared.people);
      log.info(
        { http: httpUrl, broker: this.brokerUrl, influx: target.url, meters: registry.meters.length },
        'Service started.',
      );
    },
    async stop() {
      while (stops.length) {
        const s = stops.shift()!;
        await s().catch((err: Error) => log.warn({ err: err.message }, 'Error while stopping a component.'));
      }
      started = false;
    },
  };
}
