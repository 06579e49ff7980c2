/**
 * The one validation result of the project: `{ ok: true, value } | { ok: false, reason }`. A failure may carry
 * a stable `code` where a caller decides by it (never by the text of `reason`). Imports nothing: the pure fee
 * engine uses it too.
 */
export type Result<T> = { ok: true; value: T } | { ok: false; reason: string; code?: string };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(reason: string, code?: string): Result<T> =>
  code === undefined ? { ok: false, reason } : { ok: false, reason, code };
