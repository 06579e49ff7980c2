/**
 * The daily seals as a component (issue 24): their own writer (derived data never holds readings'
 * acknowledgements), the pass loop that seals ended days after the late window and amends sealed days that get
 * late readings (it listens to stored readings).
 */
import { writerMetrics } from '../ingest/metrics.ts';
import { createSealing, type Sealing } from '../seal/index.ts';
import { createSealWorker, type SealWorker } from '../seal/seal-worker.ts';
import { createBatchWriter } from '../store/batch-writer.ts';
import { createWriteApi } from '../store/write-api.ts';
import { component, type Component } from '../util/lifecycle.ts';
import type { ServiceContext } from './context.ts';

export function sealsPart(ctx: ServiceContext): { sealing: Sealing; worker: SealWorker; components: Component[] } {
  const { config, target } = ctx;
  const log = ctx.log.child({ component: 'seals' });
  const sink = createBatchWriter({
    writeApi: createWriteApi(target),
    batchSize: config.influx.batchSize,
    lingerMs: config.influx.flushIntervalMs,
    log,
    holds: 'derived',
    metrics: { ...writerMetrics(ctx.metrics), onPending: () => {} },
  });
  const sealing = createSealing(config, ctx.registry, target, (lines) => sink.write(lines), log);
  const worker = createSealWorker({
    sealer: sealing.sealer,
    store: sealing.store,
    registry: ctx.registry,
    lateWindowMs: config.seal.lateWindowH * 3_600_000,
    intervalMs: config.seal.intervalMs,
    log,
  });
  const sinkMs = () => (sink.state().failing ? 1_000 : 15_000);
  return {
    sealing,
    worker,
    components: [
      component(
        'seals-writer',
        () => sink.stop(sinkMs()),
        () => sinkMs() + 1_000,
      ),
      component(
        'seals',
        () => worker.stop(sinkMs()),
        () => sinkMs() + 1_000,
        () => worker.start(),
      ),
    ],
  };
}
