import { HttpError, RequestTimedOutError } from '@influxdata/influxdb-client';

/**
 * What an InfluxDB write failure means (Telegraf's influxdb_v2 output triages the same way):
 *  - `data`: the batch itself is bad (400 parse error or field type conflict, 413 too large, 422 unprocessable):
 *    split it, isolate the line, report it. Retrying the same line cannot help.
 *  - `retry`: everything else is the service's or the server's problem (network, timeouts, 401/403 credentials,
 *    404 database missing, 408, 429, 5xx, anything unknown): retry for as long as it takes, never drop.
 */
export interface WriteFailure {
  readonly kind: 'data' | 'retry';
  /** Short cause for /health and the log: "token refused", "database missing", ... */
  readonly cause: string;
  /** The server's Retry-After, in ms (0 when absent). */
  readonly retryAfterMs: number;
  /** InfluxDB did not answer at all: worth probing /ping and retrying as soon as it answers. */
  readonly unreachable: boolean;
  /** The connection was refused: InfluxDB was certainly down at that attempt (any /ping up after it means back). */
  readonly refused?: boolean;
  readonly error: string;
}

const codeOf = (err: unknown): string | undefined => {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' ? code : undefined;
};

const DATA_STATUSES = new Set([400, 413, 422]);

function causeOf(status: number): string {
  if (status === 401 || status === 403) return 'token refused';
  if (status === 404) return 'database missing';
  if (status === 408) return 'InfluxDB timed out';
  if (status === 429) return 'InfluxDB throttling writes';
  if (status >= 500) return 'InfluxDB server error';
  if (DATA_STATUSES.has(status)) return 'line refused';
  return `unexpected HTTP ${status}`;
}

export function describeWriteError(err: unknown): string {
  if (err instanceof HttpError) return `HTTP ${err.statusCode}: ${(err.body ?? err.message).toString().slice(0, 300)}`;
  return ((err as Error)?.message ?? String(err)).slice(0, 300);
}

export function classifyWriteError(err: unknown): WriteFailure {
  const error = describeWriteError(err);
  if (err instanceof HttpError) {
    const status = err.statusCode;
    return {
      kind: DATA_STATUSES.has(status) ? 'data' : 'retry',
      cause: causeOf(status),
      // The client parses Retry-After as whole seconds (0 when absent or a date).
      retryAfterMs: Math.max(0, err.retryAfter()) * 1000,
      unreachable: status === 502 || status === 503 || status === 504,
      error,
    };
  }
  if (err instanceof RequestTimedOutError)
    return { kind: 'retry', cause: 'InfluxDB timed out', retryAfterMs: 0, unreachable: true, error };
  return {
    kind: 'retry',
    cause: 'InfluxDB unreachable',
    retryAfterMs: 0,
    unreachable: true,
    ...(codeOf(err) === 'ECONNREFUSED' && { refused: true }),
    error,
  };
}
