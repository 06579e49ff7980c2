/**
 * The one error model: every error the service raises on purpose is a KzmError with a stable `code`, the HTTP
 * status it maps to and whether trying again later can succeed (`retryable`). Handlers (HTTP, CLI, retry loops)
 * decide by `code` and `retryable`, never by the message's text. Imports nothing.
 */
export interface KzmErrorOptions {
  /** Stable, kebab-case: what went wrong, for programs (`rollup-mismatch`, `snapshot-altered`, ...). */
  readonly code: string;
  /** The HTTP status a route answers with (default 500). */
  readonly httpStatus?: number;
  /** Trying the same again later may succeed (default false). */
  readonly retryable?: boolean;
  /** With 503: seconds until it is worth asking again (Retry-After). */
  readonly retryAfterS?: number;
  readonly cause?: unknown;
}

export class KzmError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  readonly retryable: boolean;
  readonly retryAfterS: number | undefined;
  /** The same as httpStatus, under the name Fastify reads from a thrown error. */
  readonly statusCode: number;

  constructor(message: string, options: KzmErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.httpStatus = options.httpStatus ?? 500;
    this.retryable = options.retryable ?? false;
    this.retryAfterS = options.retryAfterS;
    this.statusCode = this.httpStatus;
  }
}

export const isKzmError = (err: unknown): err is KzmError => err instanceof KzmError;

/** A KzmError with this code (for `catch` blocks that handle one case and rethrow the rest). */
export const hasCode = (err: unknown, code: string): err is KzmError => err instanceof KzmError && err.code === code;
