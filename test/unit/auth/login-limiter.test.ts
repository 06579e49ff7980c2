import { describe, expect, it } from 'vitest';
import { createLoginLimiter } from '../../../src/auth/sessions.ts';

/** Issue 21: per address and user, per address, and per user except from addresses the user logged in from. */
describe('the login limiter', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('5 failures for a user from one address block that pair only, until the window ends', () => {
    const c = clock();
    const l = createLoginLimiter({ now: c.now });
    for (let i = 0; i < 5; i++) l.fail('10.0.0.9', 'anna');
    expect(l.blockedForS('10.0.0.9', 'anna')).toBe(900);
    expect(l.blockedForS('10.0.0.1', 'anna')).toBe(0);
    expect(l.blockedForS('10.0.0.9', 'bob')).toBe(0);
    c.advance(900_000);
    expect(l.blockedForS('10.0.0.9', 'anna')).toBe(0);
  });

  it('100 failures for one user spread over addresses block new addresses, not one the user logged in from', () => {
    const l = createLoginLimiter({ now: clock().now });
    l.succeed('10.0.0.1', 'anna');
    for (let i = 0; i < 100; i++) l.fail(`192.0.2.${i}`, 'anna');
    expect(l.blockedForS('198.51.100.7', 'anna')).toBeGreaterThan(0);
    expect(l.blockedForS('10.0.0.1', 'anna')).toBe(0);
  });

  it('a flood of distinct keys past the bound drops the oldest windows, not the whole table', () => {
    const l = createLoginLimiter({ now: clock().now, maxKeys: 100 });
    for (let i = 0; i < 5; i++) l.fail('10.0.0.9', 'anna');
    for (let i = 0; i < 40; i++) l.fail(`192.0.2.${i}`, `spray${i}`);
    // the newest pairs are kept (memory stays bounded by 100 windows)
    for (let i = 0; i < 4; i++) l.fail('192.0.2.39', 'spray39');
    expect(l.blockedForS('192.0.2.39', 'spray39')).toBeGreaterThan(0);
  });
});
