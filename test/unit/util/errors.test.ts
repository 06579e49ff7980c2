import { describe, expect, it } from 'vitest';
import { hasCode, isKzmError, KzmError } from '../../../src/util/errors.ts';
import { fail, ok } from '../../../src/util/result.ts';
import { OverloadedError } from '../../../src/util/limiter.ts';
import { InfluxQueryError, InfluxUnavailableError } from '../../../src/store/query/client.ts';
import { LedgerStoreError, RollupsBehindError } from '../../../src/ledger/store-ledger.ts';
import { SpoolError } from '../../../src/store/spool.ts';
import { ConfigError } from '../../../src/config/load.ts';

// Issue 23: one error model (code, HTTP status, retryable); handlers decide by code, never by message text.
describe('the error model', () => {
  it.each([
    { name: 'overload', err: new OverloadedError('busy', 7), code: 'overloaded', status: 503, retryable: true },
    {
      name: 'InfluxDB down',
      err: new InfluxUnavailableError('x'),
      code: 'influx-unreachable',
      status: 503,
      retryable: true,
    },
    {
      name: 'InfluxDB slow',
      err: new InfluxUnavailableError('x', 'influx-timeout'),
      code: 'influx-timeout',
      status: 503,
      retryable: true,
    },
    {
      name: 'bad query',
      err: new InfluxQueryError('x', 400),
      code: 'influx-query-failed',
      status: 500,
      retryable: false,
    },
    {
      name: 'InfluxDB 500',
      err: new InfluxQueryError('x', 500),
      code: 'influx-query-failed',
      status: 500,
      retryable: true,
    },
    { name: 'rollups behind', err: new RollupsBehindError(), code: 'rollups-behind', status: 503, retryable: true },
    {
      name: 'rollup mismatch',
      err: new LedgerStoreError('x', 'rollup-mismatch', true),
      code: 'rollup-mismatch',
      status: 500,
      retryable: true,
    },
    { name: 'spool', err: new SpoolError('x'), code: 'spool-failed', status: 503, retryable: true },
    { name: 'config', err: new ConfigError(['a: b']), code: 'config-invalid', status: 500, retryable: false },
  ])('$name: code $code, HTTP $status, retryable $retryable', ({ err, code, status, retryable }) => {
    expect(isKzmError(err)).toBe(true);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(code);
    expect(err.httpStatus).toBe(status);
    expect(err.statusCode).toBe(status);
    expect(err.retryable).toBe(retryable);
    expect(err.name).toBe(err.constructor.name);
    expect(hasCode(err, code)).toBe(true);
    expect(hasCode(err, 'something-else')).toBe(false);
  });

  it('keeps the cause and the Retry-After hint', () => {
    const cause = new Error('socket hang up');
    const e = new KzmError('InfluxDB did not answer', { code: 'influx-unreachable', retryAfterS: 9, cause });
    expect(e.cause).toBe(cause);
    expect(e.retryAfterS).toBe(9);
    expect(hasCode(new Error('rollup-mismatch'), 'rollup-mismatch')).toBe(false);
  });

  it('a failed Result carries a code only when given one', () => {
    expect(ok(3)).toEqual({ ok: true, value: 3 });
    expect(fail('no')).toEqual({ ok: false, reason: 'no' });
    expect(fail('no', 'rollup-mismatch')).toEqual({ ok: false, reason: 'no', code: 'rollup-mismatch' });
  });
});
