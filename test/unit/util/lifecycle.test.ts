import { describe, expect, it } from 'vitest';
import { component, createLifecycle, within } from '../../../src/util/lifecycle.ts';

describe('component lifecycle (issue 23: one interface, started in order, stopped in reverse by one function)', () => {
  it('starts in order and stops in reverse', async () => {
    const events: string[] = [];
    const life = createLifecycle();
    for (const n of ['writer', 'rollups', 'broker', 'http'])
      await life.start(
        component(
          n,
          () => void events.push(`stop ${n}`),
          1000,
          () => void events.push(`start ${n}`),
        ),
      );
    expect(life.names()).toEqual(['writer', 'rollups', 'broker', 'http']);
    await life.stopAll(() => {});
    expect(events).toEqual([
      'start writer',
      'start rollups',
      'start broker',
      'start http',
      'stop http',
      'stop broker',
      'stop rollups',
      'stop writer',
    ]);
    expect(life.names()).toEqual([]);
  });

  it('a stop that fails or hangs does not hold the others: each is bounded by its own timeout', async () => {
    const stopped: string[] = [];
    const errors: string[] = [];
    const timeouts: string[] = [];
    const life = createLifecycle();
    life.started(component('first', () => void stopped.push('first')));
    life.started(component('hangs', () => new Promise(() => {}), 20));
    life.started(
      component('fails', () => {
        throw new Error('boom');
      }),
    );
    await life.stopAll(
      (name, err) => errors.push(`${name}: ${err.message}`),
      (name, ms) => timeouts.push(`${name} ${ms}`),
    );
    expect(errors).toEqual(['fails: boom']);
    expect(timeouts).toEqual(['hangs 20']);
    expect(stopped).toEqual(['first']);
  });

  it('a component that failed to start is not stopped', async () => {
    const life = createLifecycle();
    const bad = component(
      'bad',
      () => {},
      10,
      () => Promise.reject(new Error('no')),
    );
    await expect(life.start(bad)).rejects.toThrow('no');
    expect(life.names()).toEqual([]);
  });

  it('within says whether a promise settled in time', async () => {
    expect(await within(Promise.resolve(), 50)).toBe(true);
    expect(await within(new Promise(() => {}), 10)).toBe(false);
  });
});
