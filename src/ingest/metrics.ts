import { Counter, Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';
import { LIVE_GRACE_INTERVALS, liveStatus } from '../live/live-status.ts';
import type { MeterLive } from '../live/live-state.ts';
import type { WriterMetrics } from '../store/batch-writer.ts';
import { type QueryOutcome, queryCounts } from '../store/query/client.ts';
import { CountingHistogram } from '../util/counting-histogram.ts';
import { packageVersion } from '../util/version.ts';

/**
 * Every stage counts what it received, accepted, rejected (by reason) and wrote. Names follow Prometheus'
 * conventions: the client's process_* and nodejs_* unprefixed (what standard Node dashboards expect),
 * kzm_* for ours, _total for counters, units in the name (_seconds, _bytes), counts named by what they count.
 */
/**
 * A counter the ingest hot path bumps as a plain number, handed to prom-client at each scrape (issue 27: prom-client
 * hashes and checks the labels at every inc(), ~1.5% of the service's CPU in a backlog drain).
 */
function deferredCounter(registry: PromRegistry, name: string, help: string, label?: string) {
  const pending = new Map<string, number>();
  const counter = new Counter({
    name,
    help,
    labelNames: label ? [label] : [],
    registers: [registry],
    collect() {
      for (const [v, n] of pending)
        if (label) this.inc({ [label]: v }, n);
        else this.inc(n);
      pending.clear();
    },
  });
  return { counter, add: (value: string, n = 1) => void pending.set(value, (pending.get(value) ?? 0) + n) };
}

export function createIngestMetrics() {
  const registry = new PromRegistry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'kzm_build_info',
    help: 'Always 1: the running version and Node.js (labels)',
    labelNames: ['version', 'nodejs_version'],
    registers: [registry],
  }).set({ version: packageVersion(), nodejs_version: process.version }, 1);
  const c = <T extends string>(name: string, help: string, labelNames: T[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const received = deferredCounter(
    registry,
    'kzm_ingest_messages_received_total',
    'MQTT messages received, by kind (reading, status, other)',
    'kind',
  );
  const readingsAccepted = deferredCounter(
    registry,
    'kzm_ingest_readings_accepted_total',
    'Readings that passed validation and were written',
  );
  const statusAccepted = deferredCounter(
    registry,
    'kzm_ingest_status_events_total',
    'Status events (online/offline) written',
    'state',
  );
  const pendingNow = { lines: 0 };
  const metrics = {
    registry,
    /** The ingest writer's pending lines now (kzm_influx_pending_lines reads it at each scrape). */
    pendingNow,
    received: received.counter,
    readingsAccepted: readingsAccepted.counter,
    statusAccepted: statusAccepted.counter,
    /** What the ingest hot path counts (deferredCounter). */
    count: {
      received: (kind: string) => received.add(kind),
      readings: (n: number) => readingsAccepted.add('', n),
      status: (state: string) => statusAccepted.add(state),
    },
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
      // Read at the scrape: the writer changes it at every write (issue 27).
      collect() {
        this.set(pendingNow.lines);
      },
    }),
    batchSeconds: new Histogram({
      name: 'kzm_influx_write_batch_seconds',
      help: 'Time to write one batch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queries: new Counter({
      name: 'kzm_influx_queries_total',
      help: 'Requests to InfluxDB /query by this process, by outcome (ok, timeout: slow, not down; unreachable; failed)',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        const n = queryCounts();
        this.reset();
        for (const o of ['ok', 'timeout', 'unreachable', 'failed'] as const satisfies QueryOutcome[])
          this.inc({ outcome: o }, n[o]);
      },
    }),
    queryStatements: new Counter({
      name: 'kzm_influx_query_statements_total',
      help: 'InfluxQL statements in those requests',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(queryCounts().statements);
      },
    }),
    storedAge: new CountingHistogram(
      'kzm_ingest_reading_age_at_store_seconds',
      'Age of a reading (now minus its timestamp) when its write was acknowledged: for a live meter, publish to stored',
      [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60, 300, 3600, 86_400],
      registry,
    ),
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
      m.pendingNow.lines = lines;
    },
  };
}

/** What the per-meter gauges read: the registry's meters and the live view. */
export interface MeterGaugeDeps {
  readonly meters: readonly { readonly id: string; readonly siteId: string; readonly reportingIntervalS: number }[];
  readonly live: { get(meterId: string): MeterLive | undefined };
  readonly now?: () => number;
}

/**
 * Per-meter gauges, computed at each scrape from the live view, for alerts on a silent meter:
 *   kzm_meter_last_received_timestamp_seconds   arrival of its last reading (absent: never seen)
 *   kzm_meter_last_reading_timestamp_seconds    the newest reading's own time
 *   kzm_meter_offline                           1 when the last will says offline or nothing arrived for
 *                                               its grace (LIVE_GRACE_INTERVALS reporting intervals)
 *   kzm_meter_grace_seconds                     that grace
 */
export function registerMeterGauges(registry: PromRegistry, deps: MeterGaugeDeps): void {
  const now = deps.now ?? Date.now;
  const labelNames = ['meter', 'site'] as const;
  const gauge = (name: string, help: string, value: (m: MeterGaugeDeps['meters'][number]) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const m of deps.meters) {
          const v = value(m);
          if (v !== undefined) this.set({ meter: m.id, site: m.siteId }, v);
        }
      },
    });
  const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
  gauge('kzm_meter_last_received_timestamp_seconds', 'When the last reading of the meter arrived (Unix time)', (m) =>
    seconds(deps.live.get(m.id)?.lastReceivedMs),
  );
  gauge('kzm_meter_last_reading_timestamp_seconds', "The newest reading's own time (Unix time)", (m) =>
    seconds(deps.live.get(m.id)?.lastReadingTsMs),
  );
  gauge('kzm_meter_offline', '1: offline (last will, or nothing received for its grace); 0: online or fault', (m) => {
    const s = liveStatus(deps.live.get(m.id), m.reportingIntervalS, now());
    return s === 'never-seen' ? undefined : s === 'offline' ? 1 : 0;
  });
  gauge(
    'kzm_meter_grace_seconds',
    'How long the meter may stay silent before it counts as offline',
    (m) => LIVE_GRACE_INTERVALS * m.reportingIntervalS,
  );
}
