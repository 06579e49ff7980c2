import type { Logger } from 'pino';
import type { IngestMetrics } from './metrics.ts';

async function total(counter: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await counter.get()).values.reduce((s, v) => s + v.value, 0);
}

/** Every `everyMs`, one log line with what arrived since the last one (quiet when nothing did). */
export function startIngestProgressLog(metrics: IngestMetrics, log: Logger, everyMs = 10_000): () => void {
  let last = { readings: 0, rejected: 0, status: 0 };
  const timer = setInterval(() => {
    void (async () => {
      const now = {
        readings: await total(metrics.readingsAccepted),
        rejected: await total(metrics.rejected),
        status: await total(metrics.statusAccepted),
      };
      const d = {
        readings: now.readings - last.readings,
        rejected: now.rejected - last.rejected,
        statusEvents: now.status - last.status,
      };
      last = now;
      if (d.readings || d.rejected || d.statusEvents)
        log.info({ ...d, seconds: everyMs / 1000, totalReadings: now.readings }, 'Readings stored.');
    })();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
