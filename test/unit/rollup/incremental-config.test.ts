import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.ts';
import { incrementalRollups } from '../../../src/rollup/index.ts';

/**
 * Issue 27 (review): rollups from memory only where this process is the one writer of its meters' readings. With
 * the state shared (docs/deploy.md "Two instances") a meter may publish to another instance, which stores its
 * readings too: an hour rolled up from one instance's memory would miss them.
 */
describe('incremental rollups: only for the one writer', () => {
  const config = (extra: object) => configSchema.parse({ ...extra });
  it('one instance, its own subscription, no spool: incremental', () => {
    expect(incrementalRollups(config({}))).toBe(true);
  });
  it('not with the state shared, a shared subscription, the spool or a settle delay', () => {
    expect(incrementalRollups(config({ state: { url: 'postgres://kzm:secret@db:5432/kzmeter' } }))).toBe(false);
    expect(incrementalRollups(config({ mqtt: { sharedGroup: 'ingest' } }))).toBe(false);
    expect(incrementalRollups(config({ ingest: { spool: { enabled: true } } }))).toBe(false);
    expect(incrementalRollups(config({ rollup: { settleMs: 10_000 } }))).toBe(false);
  });
});
