/** Simulated meters: from the registry (a scenario's subset) or made up for load generation. */
import type { Registry } from '../src/registry/types.ts';
import type { SimMeter, SimRig } from './plan-types.ts';
import type { Scenario } from './scenario-schema.ts';
import { ScenarioError } from './scenario-load.ts';
import { parseRegistryDate } from '../src/util/time.ts';

const FILL_MODEL = { model: 'Antminer S19 Pro', ratedPowerW: 3250 };

/** A meter that only declares max load gets made-up S19 Pro rigs filling ~90% of it. */
function fillRigs(meterId: string, maxLoadW: number): SimRig[] {
  const n = Math.max(1, Math.floor((maxLoadW * 0.9) / FILL_MODEL.ratedPowerW));
  return Array.from({ length: n }, (_, i) => ({ serial: `${meterId}-synthetic-${i + 1}`, ...FILL_MODEL }));
}

export function simMetersFromRegistry(
  registry: Registry,
  scenario: Pick<Scenario, 'meters' | 'sites' | 'reportingIntervalS'>,
): SimMeter[] {
  let meters = registry.meters;
  if (scenario.meters !== 'all') {
    const missing = scenario.meters.filter((id) => !registry.meterById.has(id));
    if (missing.length) throw new ScenarioError(`scenario: meters: not in the registry: ${missing.join(', ')}`);
    const wanted = new Set(scenario.meters);
    meters = meters.filter((m) => wanted.has(m.id));
  }
  if (scenario.sites) {
    const missing = scenario.sites.filter((id) => !registry.siteById.has(id));
    if (missing.length) throw new ScenarioError(`scenario: sites: not in the registry: ${missing.join(', ')}`);
    const wanted = new Set(scenario.sites);
    meters = meters.filter((m) => wanted.has(m.siteId));
  }
  if (meters.length === 0) throw new ScenarioError('scenario: the meter selection is empty');
  return meters.map((m) => {
    const synthetic = m.rigs.length === 0;
    const rigs: SimRig[] = synthetic
      ? fillRigs(m.id, m.maxLoad[m.maxLoad.length - 1]!.maxLoadW)
      : m.rigs.map((r) => ({
          serial: r.serial,
          model: r.model,
          ratedPowerW: r.ratedPowerW,
          ...(r.installedMs !== undefined && { installedMs: r.installedMs }),
          ...(r.removedMs !== undefined && { removedMs: r.removedMs }),
        }));
    return {
      id: m.id,
      siteId: m.siteId,
      timeZone: m.timeZone,
      intervalMs: (scenario.reportingIntervalS ?? m.reportingIntervalS) * 1000,
      commissionedMs: m.commissionedMs,
      maxLoad: m.maxLoad,
      sources: m.sources,
      rigs,
      syntheticRigs: synthetic,
    };
  });
}

/** Load-generator meters `load-m00001`..: 10 S21 rigs each (35 kW), site 'load-site', grid, commissioned 2020-01-01. */
export function syntheticMeters(count: number, intervalS: number, rigsPerMeter = 10): SimMeter[] {
  const commissionedMs = parseRegistryDate('2020-01-01', 'Asia/Almaty')!;
  return Array.from({ length: count }, (_, i) => {
    const id = `load-m${String(i + 1).padStart(5, '0')}`;
    const rigs = Array.from({ length: rigsPerMeter }, (_, k) => ({
      serial: `${id}-r${k + 1}`,
      model: 'Antminer S21',
      ratedPowerW: 3500,
    }));
    return {
      id,
      siteId: 'load-site',
      timeZone: 'Asia/Almaty',
      intervalMs: intervalS * 1000,
      commissionedMs,
      maxLoad: [{ fromMs: commissionedMs, maxLoadW: 3500 * rigsPerMeter }],
      sources: [{ fromMs: commissionedMs, source: 'grid' as const }],
      rigs,
      syntheticRigs: false,
    };
  });
}
