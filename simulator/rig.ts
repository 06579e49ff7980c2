/**
 * One ASIC rig's power draw, stepped in fixed time steps: noise around a
 * per-rig draw level, warm-up after power-on, occasional reboots (near-zero
 * draw for a few minutes), nothing while curtailed. Power is whole watts so a
 * meter can integrate it exactly in joules.
 */
import type { Prng } from './prng.ts';
import type { RigModel } from './rig-models.ts';

export interface RigBehaviour {
  /** Standard deviation of draw noise, percent of the draw level. */
  readonly noisePct: number;
  readonly rebootsPerRigPerDay: number;
  readonly rebootMin: readonly [number, number];
  /** Start the run with rigs warming up (true) or already at full draw. */
  readonly coldStart: boolean;
}

export interface RigSim {
  readonly ratedPowerW: number;
  /** Power over the next step of stepS seconds, integer W. */
  step(stepS: number, running: boolean): number;
  /** Hashrate during the last step, TH/s. */
  readonly hashrateThs: number;
}

export function createRigSim(ratedPowerW: number, model: RigModel, behaviour: RigBehaviour, prng: Prng): RigSim {
  // A running rig draws a little below its nameplate; each unit differs slightly.
  const levelW = ratedPowerW * prng.range(0.95, 0.985);
  const sigma = behaviour.noisePct / 100;
  const warmUpS = model.warmUpMin * 60;
  let noise = 0;
  let wasRunning = !behaviour.coldStart;
  let warmElapsedS = behaviour.coldStart ? 0 : warmUpS;
  let rebootLeftS = 0;
  let hashrate = 0;

  return {
    ratedPowerW,
    get hashrateThs() {
      return hashrate;
    },
    step(stepS, running) {
      // Consume the same PRNG draws every step whatever the state: keeps streams aligned across scenarios.
      const n = prng.normal();
      const reboot = prng.chance((behaviour.rebootsPerRigPerDay * stepS) / 86_400);
      const rebootS = prng.range(behaviour.rebootMin[0], behaviour.rebootMin[1]) * 60;
      noise = 0.8 * noise + 0.6 * sigma * n;
      if (!running) {
        wasRunning = false;
        rebootLeftS = 0;
        hashrate = 0;
        return 0;
      }
      if (!wasRunning) {
        wasRunning = true;
        warmElapsedS = 0;
      }
      if (rebootLeftS <= 0 && reboot) rebootLeftS = rebootS;
      if (rebootLeftS > 0) {
        rebootLeftS -= stepS;
        if (rebootLeftS <= 0) warmElapsedS = 0;
        hashrate = 0;
        return model.idleW;
      }
      const warm = warmUpS <= 0 ? 1 : Math.min(1, warmElapsedS / warmUpS);
      warmElapsedS += stepS;
      const fraction = 0.35 + 0.65 * warm;
      const w = Math.round(Math.min(ratedPowerW, levelW * fraction * (1 + noise)));
      hashrate = model.hashrateThs * (warm >= 1 ? w / levelW : warm * 0.9);
      return Math.max(0, w);
    },
  };
}
