import { Counter, Gauge, type Registry as PromRegistry } from 'prom-client';
import type { SpoolState } from './spool.ts';

/** /metrics: the spool's size, age, whether it is full or its disk refuses it, and its failures by stage and cause. */
export function registerSpoolMetrics(registry: PromRegistry, spool: { state(): SpoolState }): void {
  const gauge = (name: string, help: string, value: (s: SpoolState) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value(spool.state()));
      },
    });
  gauge('kzm_spool_bytes', 'Bytes in the local spool not yet replayed to InfluxDB', (s) => s.bytes);
  gauge('kzm_spool_max_bytes', 'Configured bound of the local spool', (s) => s.maxBytes);
  gauge(
    'kzm_spool_oldest_age_seconds',
    'Age of the oldest unreplayed spool record',
    (s) => (s.oldestAgeMs ?? 0) / 1000,
  );
  gauge('kzm_spool_full', '1 while the spool is full and acknowledgements wait', (s) => (s.full ? 1 : 0));
  gauge(
    'kzm_spool_write_failing',
    '1 while the disk refuses spool appends (no space, read-only, permission, I/O error): acknowledgements wait',
    (s) => (s.failing?.stage === 'append' ? 1 : 0),
  );
  gauge('kzm_spool_waiting_writes', 'Appends waiting for room or for the disk', (s) => s.waitingWrites);
  new Counter({
    name: 'kzm_spool_errors_total',
    help: 'Spool disk failures by stage (append, replay, directory) and cause (no space, read-only, ...)',
    labelNames: ['stage', 'cause'],
    registers: [registry],
    collect() {
      this.reset();
      for (const e of spool.state().errors) this.inc({ stage: e.stage, cause: e.cause }, e.count);
    },
  });
}
