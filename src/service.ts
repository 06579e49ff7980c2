import { getHeapStatistics } from 'node:v8';
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
import { maxPacketBytesFor } from './broker/packet-size-guard.ts';
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
import { pingInflux } from './store/ping.ts';
import { ensureDatabase, waitForInflux } from './store/setup.ts';
import { createSpool, registerSpoolMetrics, type Spool } from './store/spool.ts';
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
  /** The durable local spool, when `ingest.spool.enabled`. */
  readonly spool: Spool | undefined;
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

/** Wait for a component's stop at most `ms` (what it leaves is recovered at the next start). */
function boundedStop(stopping: Promise<unknown>, ms: number): Promise<unknown> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([stopping, new Promise((r) => (t = setTimeout(r, ms)))]).finally(() => clearTimeout(t));
}

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
  let spool: Spool | undefined;
  /** Resolved when stop() begins: a rollup pass waiting for the spool to replay gives up then. */
  let markStopping: () => void = () => {};
  let stopping = new Promise<void>((r) => (markStopping = r));
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
      writeApi: createWriteApi(target),
      batchSize: config.influx.batchSize,
      lingerMs: config.influx.flushIntervalMs,
      log: wlog,
      // With the spool the writer's lines come from its replay: acknowledged already, kept on disk.
      holds: config.ingest.spool.enabled ? 'spooled-readings' : 'unacknowledged-readings',
      metrics: writerMetrics(metrics),
      ping: async () => (await pingInflux(target.url, 1000)).ok,
      onPoison: (lines, error) => {
        metrics.rejected.inc({ reason: 'influx-rejected' }, lines.length);
        wlog.error(
          { error, line: lines[0]?.slice(0, 300) },
          'InfluxDB refused a line as bad data (400/413/422); it is acknowledged and not retried.',
        );
      },
    });
    // While InfluxDB refuses writes, waiting for a drain only delays the stop: what is not written stays
    // unacknowledged (redelivered) or in the spool, and rollups are recovered from their durable marks.
    stops.unshift(() => w.stop(w.state().failing ? 1_000 : 15_000));
    return w;
  }

  /**
   * fee_1d, through a writer of its own: derived fees are not ingest, so they neither hold readings'
   * acknowledgements back nor show as ingest's pending lines in /health (batches and points are counted).
   */
  async function startFeeDays(tariffs: TariffSet): Promise<FeeDays> {
    const flog = log.child({ component: 'fee-days' });
    const sink = createBatchWriter({
      writeApi: createWriteApi(target),
      batchSize: config.influx.batchSize,
      lingerMs: config.influx.flushIntervalMs,
      log: flog,
      holds: 'derived',
      metrics: { ...writerMetrics(metrics), onPending: () => {} },
    });
    stops.unshift(() => sink.stop(sink.state().failing ? 1_000 : 15_000));
    const f = createFeeDays({
      registry,
      tariffs,
      target,
      sink,
      log: flog,
      beforeRead: () => rollups.flush(30_000),
      // Derived data gives way to readings waiting for their write (and so for their acknowledgement).
      busy: () => writer.state().pendingLines > 0,
      ...feeSettings(config),
      prices: registry.prices,
    });
    await f.start();
    // Its stop waits for a running recompute, whose writes retry for as long as InfluxDB refuses them: bound it.
    stops.unshift(() => boundedStop(f.stop(), sink.state().failing || writer.state().failing ? 1_000 : 30_000));
    return f;
  }

  /** With `ingest.spool` on, ingest acknowledges once lines are fsynced to the spool, which replays them to the writer. */
  async function startSpool(): Promise<Spool | undefined> {
    const cfg = config.ingest.spool;
    if (!cfg.enabled) return undefined;
    const s = createSpool({
      dir: join(config.dataDir, 'spool'),
      maxBytes: cfg.maxBytes,
      segmentBytes: cfg.segmentBytes,
      sink: writer,
      log: log.child({ component: 'spool' }),
    });
    await s.start();
    stops.unshift(() => s.stop(writer.state().failing ? 0 : 5_000));
    registerSpoolMetrics(metrics.registry, s);
    return s;
  }

  /**
   * Rollups read InfluxDB, so with the spool a pass first waits until what was acknowledged has been replayed;
   * recovery of durable marks (rollups.start) waits for the backlog a previous run left in the spool.
   */
  async function startRollups(): Promise<void> {
    const s = spool;
    rollups = createRollups({
      config,
      registry,
      target,
      sink: writer,
      log: log.child({ component: 'rollup' }),
      metrics: metrics.registry,
      ...(s && { beforePass: () => Promise.race([s.replayed(), stopping]) }),
    });
    const r = rollups;
    stops.unshift(() => r.stop(writer.state().failing ? 0 : 10_000));
    if (!s) return r.start();
    void Promise.race([s.replayed().then(() => true), stopping.then(() => false)]).then((go) =>
      go ? r.start().catch((err: Error) => log.error({ err: err.message }, 'Rollup recovery failed.')) : undefined,
    );
  }

  async function startBroker(ingest: IngestPipeline, prepared: Prepared): Promise<void> {
    if (config.mqtt.brokerUrl) {
      const s = createExternalSubscriber({
        url: config.mqtt.brokerUrl,
        clientId: config.mqtt.clientId,
        maxInflight: config.mqtt.maxInflight,
        maxInflightBytes: config.mqtt.maxInflightBytes,
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
      maxPacketBytes: maxPacketBytesFor(config.ingest.maxPayloadBytes),
      onPacketTooLarge: () => metrics.rejected.inc({ reason: 'packet-too-large' }),
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
      ledgerRoutes({
        registry,
        tariffs,
        target,
        beforeRead,
        rollupChanges: rollups.changes,
        metrics: metrics.registry,
        ...fees,
      }),
      periodRoutes({ periods }),
      dashboardRoutes({ registry, tariffs, target, beforeRead, rollupChanges: rollups.changes, ...fees, live }),
      ...(extra.plugins ?? []),
    ];
    const health = {
      influx: target,
      writer,
      broker: () => broker?.health() ?? subscriber!.health(),
      ...(spool && { spool: spool.state }),
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
    get spool() {
      return spool;
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
      spool = await startSpool();
      await startRollups();
      feeDays = await startFeeDays(prepared.tariffs);
      const marks = rollups.marks;
      const s = spool;
      const { spool: _spoolConfig, ...ingestConfig } = config.ingest;
      const ingest = createIngestPipeline({
        registry,
        writer: s
          ? { write: (lines) => s.write(lines), state: () => writer.state(), stop: (t) => writer.stop(t) }
          : writer,
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
        ...ingestConfig,
      });
      stops.unshift(async () => ingest.stop());
      await startBroker(ingest, prepared);
      if (config.mqtt.homeAssistantDiscovery) await startHomeAssistant();
      adminToken = await prepared.people.createFirstAdmin?.();
      await startHttp(prepared.tariffs, prepared.people);
      log.info(
        {
          http: httpUrl,
          broker: this.brokerUrl,
          influx: target.url,
          meters: registry.meters.length,
          heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
        },
        'Service started.',
      );
    },
    async stop() {
      markStopping();
      // Appends waiting for room in a full spool would hold the broker's close forever: fail them (unacknowledged).
      spool?.refuse();
      while (stops.length) {
        const s = stops.shift()!;
        await s().catch((err: Error) => log.warn({ err: err.message }, 'Error while stopping a component.'));
      }
      started = false;
      stopping = new Promise<void>((r) => (markStopping = r));
    },
  };
}
