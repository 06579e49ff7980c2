import { HttpError, InfluxDB, setLogger, type SendOptions } from '@influxdata/influxdb-client';
import { type InfluxTarget, isLoopbackUrl, writeMode } from './influx-target.ts';
import { V1WriteTransport } from './v1-write-transport.ts';

// The client would print its own errors to the console; the BatchWriter logs every failure with context.
setLogger({ error: () => {}, warn: () => {} });

/** One POST of line protocol; rejects with the client's errors (HttpError with status and headers, network errors). */
export interface LineWriteApi {
  writeLines(lines: readonly string[]): Promise<void>;
}

/**
 * Writes through the client's transport (HTTP keep-alive, auth, the 1.x path mapping, its error objects that
 * src/store/write-errors.ts classifies), without its WriteApi: the BatchWriter above owns batching, retries and
 * acknowledgement, and the WriteApi's per-line bookkeeping (a UTF-8 length counted in JS for every line, a
 * buffer, its own retry buffer that drops the oldest lines when full) was 6.5% of the service's CPU at full
 * ingest. Precision is ns for every line. Expects 204 (or 201), as the client's WriteApi does.
 */
export function createWriteApi(target: InfluxTarget): LineWriteApi {
  const mode = writeMode(target);
  const conn = { url: target.url, timeout: target.timeoutMs, ...(!mode.v1 && mode.token && { token: mode.token }) };
  const inner = new InfluxDB(conn).transport;
  const transport = mode.v1 ? new V1WriteTransport(inner, target.authorization) : inner;
  const org = mode.v1 ? '' : target.org;
  const path = `/api/v2/write?org=${encodeURIComponent(org)}&bucket=${encodeURIComponent(target.bucket)}&precision=ns`;
  const options: SendOptions = {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    // Across a network a gzipped batch saves more than it costs; on loopback it is only CPU on both ends.
    ...(!isLoopbackUrl(target.url) && { gzipThreshold: 64 * 1024 }),
  };
  return {
    writeLines(lines) {
      return new Promise<void>((resolve, reject) => {
        let status: number | undefined;
        let headers: Record<string, string | string[] | undefined> | undefined;
        transport.send(path, lines.join('\n'), options, {
          responseStarted(h, s) {
            headers = h;
            status = s;
          },
          error: reject,
          complete() {
            if (status === undefined || status === 204 || status === 201) return resolve();
            const message = `204 HTTP response status code expected, but ${status} returned`;
            reject(new HttpError(status, message, undefined, '0', undefined, message, headers));
          },
        });
      });
    },
  };
}
