import { InfluxDB, setLogger, type WriteApi } from '@influxdata/influxdb-client';

// The client would print its own errors to the console; the BatchWriter logs every failure with context.
setLogger({ error: () => {}, warn: () => {} });
import { type InfluxTarget, isLoopbackUrl, writeMode } from './influx-target.ts';
import { V1WriteTransport } from './v1-write-transport.ts';

/**
 * A WriteApi that neither batches on its own timer nor retries: the BatchWriter above it owns batching,
 * retries and acknowledgement, so nothing sits in the client's in-memory retry buffer (which drops the
 * oldest lines when full). Precision is ns for every line.
 */
/** `maxBatchLines` must be above the largest batch the caller flushes, so the client never flushes by itself. */
export function createWriteApi(target: InfluxTarget, maxBatchLines: number): WriteApi {
  const mode = writeMode(target);
  const conn = { url: target.url, timeout: target.timeoutMs, ...(!mode.v1 && mode.token && { token: mode.token }) };
  const opts = {
    batchSize: maxBatchLines + 1,
    maxBatchBytes: Number.MAX_SAFE_INTEGER,
    flushInterval: 0,
    maxRetries: 0,
    maxBufferLines: 0,
    // Across a network a gzipped batch saves more than it costs; on loopback it is only CPU on both ends.
    // (undefined turns the client's default of gzip above 1,000 bytes off).
    gzipThreshold: isLoopbackUrl(target.url) ? undefined : 64 * 1024,
  };
  if (mode.v1) {
    const transport = new V1WriteTransport(new InfluxDB(conn).transport, target.authorization);
    return new InfluxDB({ ...conn, transport }).getWriteApi('', target.bucket, 'ns', opts);
  }
  return new InfluxDB(conn).getWriteApi(target.org, target.bucket, 'ns', opts);
}
