import { describe, expect, it } from 'vitest';
import { createLiveState } from '../../../src/live/live-state.ts';

describe('live view: statuses by their own time', () => {
  it('an outage forwarded after the fact (older statuses) does not change the current state', () => {
    const live = createLiveState();
    const st = (state: 'online' | 'offline') => ({ meterId: 'm', siteId: 's', state });
    live.onStatus(st('online'), 10_000);
    live.onStatus(st('offline'), 2_000); // DOWN at 2 s, forwarded at 10 s
    live.onStatus(st('online'), 3_000);
    expect(live.get('m')).toMatchObject({ status: 'online', statusSinceMs: 10_000, statusAtMs: 10_000 });
    live.onStatus(st('offline'), 12_000);
    expect(live.get('m')).toMatchObject({ status: 'offline', statusSinceMs: 12_000 });
  });
});
