/**
 * The storage side of the service as components: the readings writer, the durable spool in front of it,
 * the rollups and the fee days (the derived-data wing). Each factory builds its component and the handle
 * the others use; the service starts them in order and stops them in reverse.
 */
import { join } from 'node:path';
import { feeSettings } from '../config/fee-settings.ts';
import type { TariffSet } from '../fees/index.ts';
import { writerMetrics } from '../ingest/metrics.ts';
import { startIngestProgressLog } from '../ingest/progress-log.ts';
import { createFeeDays, type FeeDays } from '../ledger/fee-days-updater.ts';
import { createRollups, type Rollups } from '../rollup/index.ts';
import { createBatchWriter, type BatchWriter } from '../store/batch-writer.ts';
import { pingInflux } from '../store/ping.ts';
import { createSpool, registerSpoolMetrics, type Spool } from '../store/spool.ts';
import { createWriteApi } from '../store/write-api.ts';
import { component, type Component } from '../util/lifecycle.ts';
import type { ServiceContext } from './context.ts';

/**
 * While InfluxDB refuses writes, waiting for a drain only delays the stop: what is not written stays
 * unacknowledged (redelivered) or in the spool, and rollups are recovered from their durable marks.
 */
const drainMs = (w: BatchWriter, normalMs: number) => (w.state().failing ? 1_000 : normalMs);

export function writerPart(ctx: ServiceContext): {
  writer: BatchWriter;
  components: Component[];
  /** Told when InfluxDB refused lines as bad data: acknowledged, not stored. */
  onPoison(fn: () => void): void;
} {
  const { config, metrics, target } = ctx;
  const poisonListeners: (() => void)[] = [];
  const wlog = ctx.log.child({ component: 'writer' });
  const writer = createBatchWriter({
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
      for (const fn of poisonListeners) fn();
    },
  });
  let stopProgress = () => {};
  const progress = component(
    'ingest-progress',
    () => stopProgress(),
    1_000,
    () => void (stopProgress = startIngestProgressLog(metrics, ctx.log.child({ component: 'ingest' }))),
  );
  const ms = () => drainMs(writer, 15_000);
  return {
    writer,
    onPoison: (fn) => void poisonListeners.push(fn),
    components: [
      component(
        'writer',
        () => writer.stop(ms()),
        () => ms() + 1_000,
      ),
      progress,
    ],
  };
}

/** With `ingest.spool` on, ingest acknowledges once lines are fsynced to the spool, which replays them to the writer. */
export function spoolPart(
  ctx: ServiceContext,
  writer: BatchWriter,
): { spool: Spool; component: Component } | undefined {
  const cfg = ctx.config.ingest.spool;
  if (!cfg.enabled) return undefined;
  const spool = createSpool({
    dir: join(ctx.config.dataDir, 'spool'),
    maxBytes: cfg.maxBytes,
    segmentBytes: cfg.segmentBytes,
    sink: writer,
    log: ctx.log.child({ component: 'spool' }),
  });
  const ms = () => (writer.state().failing ? 0 : 5_000);
  return {
    spool,
    component: component(
      'spool',
      () => spool.stop(ms()),
      () => ms() + 1_000,
      async () => {
        await spool.start();
        registerSpoolMetrics(ctx.metrics.registry, spool);
      },
    ),
  };
}

/**
 * Rollups read InfluxDB, so with the spool a pass first waits until what was acknowledged has been replayed;
 * recovery of durable marks (rollups.start) waits for the backlog a previous run left in the spool.
 */
export function rollupsPart(
  ctx: ServiceContext,
  writer: BatchWriter,
  spool: Spool | undefined,
  nothingStoredFromMs?: ReadonlyMap<string, number>,
): { rollups: Rollups; component: Component } {
  const { log, stopping } = ctx;
  const rollups = createRollups({
    config: ctx.config,
    registry: ctx.registry,
    target: ctx.target,
    sink: writer,
    log: log.child({ component: 'rollup' }),
    metrics: ctx.metrics.registry,
    ...(spool && { beforePass: () => Promise.race([spool.replayed(), stopping]) }),
    ...(nothingStoredFromMs && { nothingStoredFromMs }),
  });
  const ms = () => (writer.state().failing ? 0 : 10_000);
  const start = async () => {
    if (!spool) return rollups.start();
    void Promise.race([spool.replayed().then(() => true), stopping.then(() => false)]).then((go) =>
      go
        ? rollups.start().catch((err: Error) => log.error({ err: err.message }, 'Rollup recovery failed.'))
        : undefined,
    );
  };
  return {
    rollups,
    component: component(
      'rollups',
      () => rollups.stop(ms()),
      () => ms() + 1_000,
      start,
    ),
  };
}

/**
 * fee_1d, through a writer of its own: derived fees are not ingest, so they neither hold readings'
 * acknowledgements back nor show as ingest's pending lines in /health (batches and points are counted).
 */
export function feeDaysPart(
  ctx: ServiceContext,
  tariffs: TariffSet,
  writer: BatchWriter,
  rollups: Rollups,
): { feeDays: FeeDays; components: Component[] } {
  const { config, target } = ctx;
  const flog = ctx.log.child({ component: 'fee-days' });
  const sink = createBatchWriter({
    writeApi: createWriteApi(target),
    batchSize: config.influx.batchSize,
    lingerMs: config.influx.flushIntervalMs,
    log: flog,
    holds: 'derived',
    metrics: { ...writerMetrics(ctx.metrics), onPending: () => {} },
  });
  const feeDays = createFeeDays({
    registry: ctx.registry,
    tariffs,
    target,
    sink,
    log: flog,
    beforeRead: () => rollups.flush(30_000),
    // A restart recomputes only what changed since (issue 25), and what arrived after the rollups' safe point.
    checkpointFile: join(config.dataDir, 'fee-days-checkpoint.json'),
    arrivedBefore: () => rollups.safePointMs(),
    // Derived data gives way to readings waiting for their write (and so for their acknowledgement).
    busy: () => writer.state().pendingLines > 0,
    ...feeSettings(config),
    prices: ctx.registry.prices,
  });
  const sinkMs = () => drainMs(sink, 15_000);
  // Its stop waits for a running recompute, whose writes retry for as long as InfluxDB refuses them: bound it.
  const feeMs = () => (sink.state().failing || writer.state().failing ? 1_000 : 30_000);
  return {
    feeDays,
    components: [
      component(
        'fee-days-writer',
        () => sink.stop(sinkMs()),
        () => sinkMs() + 1_000,
      ),
      component(
        'fee-days',
        () => feeDays.stop(feeMs()),
        feeMs,
        () => feeDays.start(),
      ),
    ],
  };
}
