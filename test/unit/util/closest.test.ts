import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../../src/util/closest.ts';

describe('closest name', () => {
  it('counts an adjacent swap as one edit', () => {
    expect(editDistance('KZM_HTTP_PROT', 'KZM_HTTP_PORT')).toBe(1);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
  it('answers the nearest within the bound, or nothing', () => {
    expect(closest('KZM_HTTP_PROT', ['KZM_HTTP_HOST', 'KZM_HTTP_PORT', 'KZM_INFLUX_URL'])).toBe('KZM_HTTP_PORT');
    expect(closest('KZM_FOO', ['KZM_HTTP_PORT'])).toBeUndefined();
  });
});
