/**
 * A meter and the rigs behind it, stepped in fixed steps. Power is whole watts
 * per step, so energy is exact integer joules: the register (frozen during a
 * fault, restarted on replacement) and the true energy never disagree by more
 * than the meter's own truncation to whole Wh.
 */
import type { RigBehaviour } from './rig.ts';
import { createRigSim, type RigSim } from './rig.ts';
import { rigModelFor } from './rig-models.ts';
import { streamFor } from './prng.ts';
import type { CurtailmentRule, SimMeter } from './plan-types.ts';
import { createRunGate } from './curtailment.ts';

export interface MeterPhysics {
  readonly meter: SimMeter;
  readonly stepMs: number;
  readonly tMs: number;
  /** True energy drawn since the start of the run, J. */
  readonly trueEnergyJ: number;
  /** What the meter's register holds, J (its display is floor(J / 3600) Wh). */
  readonly registerJ: number;
  /** Total draw during the last step, W. */
  readonly powerW: number;
  readonly hashrateThs: number;
  /** Steps until tMs (a multiple of stepMs from the start); onStep sees each step's energy. */
  advanceTo(tMs: number, onStep?: (fromMs: number, toMs: number, energyJ: number) => void): void;
  setFrozen(frozen: boolean): void;
  replaceRegister(registerWh: number): void;
}

export function stepMsFor(intervalMs: number): number {
  return intervalMs % 60_000 === 0 ? 60_000 : intervalMs;
}

export function createMeterPhysics(
  meter: SimMeter,
  startMs: number,
  seed: number,
  behaviour: RigBehaviour,
  curtailment: readonly CurtailmentRule[],
): MeterPhysics {
  const stepMs = stepMsFor(meter.intervalMs);
  const stepS = stepMs / 1000;
  const rigs: RigSim[] = meter.rigs.map((r) =>
    createRigSim(r.ratedPowerW, rigModelFor(r.model), behaviour, streamFor(seed, `rig:${meter.id}:${r.serial}`)),
  );
  const gate = createRunGate(curtailment, meter);
  const init = streamFor(seed, `register:${meter.id}`);
  let tMs = startMs;
  let trueEnergyJ = 0;
  // A meter in service for a while: its register starts somewhere between 1 and 20 MWh.
  let registerJ = init.int(1_000_000, 20_000_000) * 3600;
  let frozen = false;
  let powerW = 0;
  let hashrateThs = 0;
  return {
    meter,
    stepMs,
    get tMs() {
      return tMs;
    },
    get trueEnergyJ() {
      return trueEnergyJ;
    },
    get registerJ() {
      return registerJ;
    },
    get powerW() {
      return powerW;
    },
    get hashrateThs() {
      return hashrateThs;
    },
    advanceTo(target, onStep) {
      while (tMs < target) {
        gate.at(tMs);
        let w = 0;
        let h = 0;
        for (let i = 0; i < rigs.length; i++) {
          const spec = meter.rigs[i]!;
          const present =
            (spec.installedMs === undefined || tMs >= spec.installedMs) &&
            (spec.removedMs === undefined || tMs < spec.removedMs);
          const rig = rigs[i]!;
          w += rig.step(stepS, present && gate.running(i));
          h += rig.hashrateThs;
        }
        const joules = w * stepS;
        trueEnergyJ += joules;
        if (!frozen) registerJ += joules;
        powerW = w;
        hashrateThs = h;
        onStep?.(tMs, tMs + stepMs, joules);
        tMs += stepMs;
      }
    },
    setFrozen(f) {
      frozen = f;
    },
    replaceRegister(wh) {
      registerJ = wh * 3600;
    },
  };
}
