import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createEmbeddedBroker, type EmbeddedBroker } from './broker/embedded.ts';
import { createExternalSubscriber, type ExternalSubscriber } from './broker/external-subscriber.ts';
import type { Config } from './config/schema.ts';
import { createLiveState, type LiveState } from './live/live-state.ts';
import { createIngestMetrics, writerMetrics, type IngestMetrics } from './ingest/metrics.ts';
import { createIngestPipeline } from './ingest/pipeline.ts';
import { startIngestProgressLog } from './ingest/progress-log.ts';
import { loadTariffs } from './fees/index.ts';
import { buildApp } from './http/app.ts';
import { dashboardRoutes } from './http/dashboard/index.ts';
import { ledgerRoutes } from './http/routes/ledger.ts';
import { periodRoutes } from './http/routes/periods.ts';
import { createPeriodService } from './periods/period-service.ts';
import { createRollups, type Rollups } from './rollup/index.ts';
import { feeSettings } from './config/fee-settings.ts';
import type { HealthReport } from './http/routes/health.ts';
import type { Registry } from './registry/types.ts';
import { createBatchWriter, type BatchWriter } from './store/batch-writer.ts';
import { influxTarget, type InfluxTarget } from './store/influx-target.ts';
import { createLocalInflux, type LocalInflux } from './store/local-influxd.ts';
import { seedLiveState } from './live/live-seed.ts';
import { ensureDatabase, waitForInflux } from './store/setup.ts';
import { createWriteApi } from './store/write-api.ts';

export interface Service {
  readonly httpUrl: string;
  readonly brokerUrl: string;
  readonly influx: InfluxTarget;
  readonly metrics: IngestMetrics;
  readonly live: LiveState;
  readonly app: FastifyInstance;
  readonly writer: BatchWriter;
  /** Hour/day rollups the ledger reads; flush() waits until everything stored so far is rolled up. */
  readonly rollups: Rollups;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Composition root: start in order (InfluxDB, writer, broker, HTTP), stop in reverse. */
export function createService(
  config: Config,
  registry: Registry,
  log: Logger,
  extra: { plugins?: Parameters<typeof buildApp>[0]['plugins'] } = {},
): Service {
  const metrics = createIngestMetrics();
  const live = createLiveState();
  let localInflux: LocalInflux | undefined;
  let target!: InfluxTarget;
  let writer!: BatchWriter;
  let rollups!: Rollups;
  let broker: EmbeddedBroker | undefined;
  let subscriber: ExternalSubscriber | undefined;
  let app!: FastifyInstance;
  let httpUrl = '';
  let started = false;
  const stops: (() => Promise<unknown>)[] = [];

  async function health(): Promise<HealthReport> {
    let reachable = false;
    let error: string | undefined;
    try {
      const res = await fetch(`${target.url}/ping`, { signal: AbortSignal.timeout(2000) });
      reachable = res.status === 204 || res.ok;
    } catch (err) {
      error = (err as Error).message;
    }
    const w = writer.state();
    const brokerOk = broker ? true : (subscriber?.connected() ?? false);
    return {
      status: reachable && brokerOk && w.consecutiveFailures === 0 ? 'ok' : 'degraded',
      broker: broker
        ? { mode: 'embedded', url: broker.url, connected: true, clients: broker.clients() }
        : { mode: 'external', url: config.mqtt.brokerUrl ?? '', connected: brokerOk },
      influx: { url: target.url, apiVersion: target.apiVersion, reachable, ...(error && { error }) },
      ingest: {
        pendingLines: w.pendingLines,
        writing: w.writing,
        consecutiveWriteFailures: w.consecutiveFailures,
        ...(w.lastError && { lastWriteError: w.lastError, lastWriteErrorAt: new Date(w.lastErrorAtMs!).toISOString() }),
      },
    };
  }

  return {
    get httpUrl() {
      return httpUrl;
    },
    get brokerUrl() {
      return broker?.url ?? config.mqtt.brokerUrl ?? '';
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
    async start() {
      if (started) return;
      started = true;
      let url = config.influx.url;
      if (!url) {
        localInflux = createLocalInflux({
          dataDir: join(config.dataDir, 'influxdb'),
          bin: config.influx.influxdPath,
          log: log.child({ component: 'influxd' }),
        });
        await localInflux.start();
        stops.unshift(() => localInflux!.stop());
        url = localInflux.url;
      }
      target = influxTarget(config.influx, url);
      await waitForInflux(target, 30_000);
      if (config.influx.createIfMissing) await ensureDatabase(target, log);
      await seedLiveState(target, live).catch((err: Error) =>
        log.warn({ err: err.message }, 'Could not seed live state from InfluxDB.'),
      );
      const wlog = log.child({ component: 'writer' });
      writer = createBatchWriter({
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
      stops.unshift(() => writer.stop());
      const stopProgress = startIngestProgressLog(metrics, log.child({ component: 'ingest' }));
      stops.unshift(async () => stopProgress());
      rollups = createRollups({
        config,
        registry,
        target: () => target,
        sink: writer,
        log: log.child({ component: 'rollup' }),
        metrics: metrics.registry,
      });
      await rollups.start();
      stops.unshift(() => rollups.stop());
      const ingest = createIngestPipeline({
        registry,
        writer,
        metrics,
        live,
        log: log.child({ component: 'ingest' }),
        rollupMarks: rollups.marks,
        ...config.ingest,
      });
      if (config.mqtt.brokerUrl) {
        subscriber = createExternalSubscriber({
          url: config.mqtt.brokerUrl,
          clientId: config.mqtt.clientId,
          maxInflight: config.mqtt.maxInflight,
          ingest,
          log: log.child({ component: 'mqtt' }),
          ...(config.mqtt.username !== undefined && { username: config.mqtt.username }),
          ...(config.mqtt.password !== undefined && { password: config.mqtt.password }),
          ...(config.mqtt.sharedGroup !== undefined && { sharedGroup: config.mqtt.sharedGroup }),
        });
        await subscriber.start();
        stops.unshift(() => subscriber!.stop());
      } else {
        broker = createEmbeddedBroker({
          host: config.mqtt.embeddedHost,
          port: config.mqtt.embeddedPort,
          ingest,
          log: log.child({ component: 'broker' }),
        });
        await broker.start();
        stops.unshift(() => broker!.stop());
      }
      const tariffs = await loadTariffs(config.tariffsDir);
      if (!tariffs.ok) throw new Error(`Tariff schedules in ${config.tariffsDir} are invalid: ${tariffs.reason}`);
      const beforeRead = () => rollups.flush(30_000);
      const fees = feeSettings(config);
      const periods = createPeriodService({
        registry,
        tariffs: tariffs.value,
        target: () => target,
        dataDir: config.dataDir,
        beforeRead,
        ...fees,
      });
      const plugins = [
        ledgerRoutes({ registry, tariffs: tariffs.value, target: () => target, beforeRead, ...fees }),
        periodRoutes({ periods }),
        dashboardRoutes({ registry, tariffs: tariffs.value, target: () => target, beforeRead, ...fees, live }),
        ...(extra.plugins ?? []),
      ];
      app = await buildApp({ registry, live, metrics, health, log, plugins });
      await app.listen({ host: config.http.host, port: config.http.port });
      stops.unshift(() => app.close());
      const addr = app.server.address();
      httpUrl = `http://${config.http.host}:${addr && typeof addr === 'object' ? addr.port : config.http.port}`;
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
