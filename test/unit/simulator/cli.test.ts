import { describe, expect, it } from 'vitest';
import { parseSimulateArgs } from '../../../simulator/cli.ts';
import { parseClock } from '../../../simulator/clock.ts';
import { computeProgress, renderProgress } from '../../../simulator/progress.ts';
import { parseScenario } from '../../../simulator/scenario-load.ts';

describe('simulate arguments', () => {
  it('defaults: real clock, local broker, live calm (no scenario)', () => {
    const a = parseSimulateArgs([], {});
    expect(a.options).toEqual({ brokerUrl: 'mqtt://127.0.0.1:1883', clock: 'real' });
  });

  it('reads every option', () => {
    const a = parseSimulateArgs(
      [
        '--scenario',
        's.yaml',
        '--clock',
        'x60',
        '--broker',
        'mqtt://h:1',
        '--seed',
        '7',
        '--out',
        'o',
        '--connections',
        '4',
      ],
      {},
    );
    expect(a.options).toMatchObject({
      scenario: 's.yaml',
      clock: { speed: 60 },
      brokerUrl: 'mqtt://h:1',
      seed: 7,
      outDir: 'o',
      connections: 4,
    });
  });

  it('load generation defaults to backfill', () => {
    expect(parseSimulateArgs(['--meters', '10000', '--rate', '5000'], {}).options).toMatchObject({
      meters: 10_000,
      ratePerS: 5000,
      clock: 'backfill',
    });
  });

  it.each([
    [['--clock', 'fast'], /--clock must be/],
    [['--seed=-1'], /--seed must be/],
    [['--meters', '0'], /--meters must be a positive integer/],
    [['--duration-h', '2'], /--duration-h applies to the load generator/],
    [['--bogus'], /Unknown option/],
  ])('%j is refused with a message naming the option', (argv, msg) => {
    expect(() => parseSimulateArgs(argv as string[], {})).toThrow(msg);
  });

  it('takes the broker and credentials from the environment', () => {
    const a = parseSimulateArgs([], {
      KZM_MQTT_BROKER_URL: 'mqtt://x:2',
      KZM_MQTT_USERNAME: 'u',
      KZM_MQTT_PASSWORD: 'p',
    });
    expect(a.options).toMatchObject({ brokerUrl: 'mqtt://x:2', username: 'u', password: 'p' });
  });

  it('parses clocks', () => {
    expect(parseClock('real')).toBe('real');
    expect(parseClock('backfill')).toBe('backfill');
    expect(parseClock('x3600')).toEqual({ speed: 3600 });
    expect(parseClock('x0')).toBeUndefined();
  });
});

describe('progress', () => {
  it('shows fraction, rate and ETA', () => {
    const p = computeProgress(10_000, 50, 0, 100, 2000);
    expect(p).toMatchObject({ fraction: 0.5, ratePerS: 5000, etaS: 2 });
    expect(renderProgress(p)).toMatch(/50\.0%.*10,000 msgs.*5,000 msg\/s.*ETA 0:00:02/);
  });
});

describe('scenario validation', () => {
  it('refuses unknown keys and names the field', () => {
    expect(() => parseScenario({ name: 'x', failures: [{ kind: 'outage', at: '2025-07-01', colour: 'red' }] })).toThrow(
      /failures\[0\]/,
    );
    expect(() => parseScenario({ name: 'x', start: 'yesterday' })).toThrow(/start/);
    expect(() => parseScenario({ name: 'x', failures: [{ kind: 'meltdown' }] })).toThrow(/failures\[0\]/);
  });
});
