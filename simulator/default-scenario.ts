/** Scenarios made in code: the live calm default (serve --simulate) and the load generator's. */
import { parseScenario } from './scenario-load.ts';
import type { Scenario } from './scenario-schema.ts';

/** Every registry meter, readings at its interval from now on, no failures. The first reading goes out at once. */
export function liveCalmScenario(): Scenario {
  return parseScenario(
    {
      name: 'live-calm',
      description: 'All registry meters, real time from now, no failures (serve --simulate).',
      start: 'now',
    },
    'built-in live-calm scenario',
  );
}

/** Load generation: synthetic meters over a historical range (default one hour from 2025-01-01 local midnight). */
export function loadScenario(durationH: number, intervalS: number): Scenario {
  return parseScenario(
    {
      name: 'load',
      description: 'Synthetic meters for load generation.',
      start: '2025-01-01',
      durationH,
      reportingIntervalS: intervalS,
      tsFormat: 'epoch-ms',
      rigs: { rebootsPerRigPerDay: 0 },
    },
    'built-in load scenario',
  );
}
