import { Counter, Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';
import type { WriterMetrics } from '../store/batch-writer.ts';

/** Every stage counts what it received, accepted, rejected (by reason) and wrote. */
export function createIngestMetrics() {
  const registry = new PromRegistry();
  collectDefaultMetrics({ register: registry, prefix: 'kzm_process_' });
  const c = <T extends string>(name: string, help: string, labelNames: T[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const metrics = {
    registry,
    received: c('kzm_ingest_messages_received_total', 'MQTT messages received, by kind (reading, status, other)', [
      'kind',
    ]),
    readingsAccepted: c('kzm_ingest_readings_accepted_total', 'Readings that passed validation and were written'),
    statusAccepted: c('kzm_ingest_status_events_total', 'Status events (online/offline) written', ['state']),
    rejected: c('kzm_ingest_rejected_total', 'Rejected messages or readings, by reason', ['reason']),
    ignored: c(
      'kzm_ingest_ignored_total',
      'Messages on topics that carry nothing to meter, by reason (unknown-topic, not-metering)',
      ['reason'],
    ),
    pointsWritten: c('kzm_influx_points_written_total', 'Lines written to InfluxDB'),
    writeBatches: c('kzm_influx_write_batches_total', 'Write batches sent to InfluxDB'),
    writeErrors: c('kzm_influx_write_errors_total', 'Failed InfluxDB writes, by kind (retriable, poison)', ['kind']),
    pendingLines: new Gauge({
      name: 'kzm_influx_pending_lines',
      help: 'Lines waiting to be written (their messages are not yet acknowledged)',
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'kzm_influx_write_batch_seconds',
      help: 'Time to write one batch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
  return metrics;
}
export type IngestMetrics = ReturnType<typeof createIngestMetrics>;

export function writerMetrics(m: IngestMetrics): WriterMetrics {
  return {
    onBatch(lines, ms) {
      m.pointsWritten.inc(lines);
      m.writeBatches.inc();
      m.batchSeconds.observe(ms / 1000);
    },
    onError(kind) {
      m.writeErrors.inc({ kind });
    },
    onPending(lines) {
      m.pendingLines.set(lines);
    },
  };
}
