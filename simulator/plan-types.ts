/** The resolved simulation plan: scenario + registry + seed, every instant in epoch ms. Plain data. */
import type { RigBehaviour } from './rig.ts';
import type { SimFormat } from './formats.ts';
import type { EnergySource } from '../src/registry/schema.ts';

export interface SimRig {
  readonly serial: string;
  readonly model: string;
  readonly ratedPowerW: number;
  readonly installedMs?: number;
  readonly removedMs?: number;
}

export interface SimMeter {
  readonly id: string;
  readonly siteId: string;
  readonly timeZone: string;
  readonly intervalMs: number;
  readonly commissionedMs: number;
  readonly maxLoad: readonly { fromMs: number; maxLoadW: number }[];
  readonly sources: readonly { fromMs: number; source: EnergySource }[];
  readonly rigs: readonly SimRig[];
  /** True when the rigs were made up for a meter that only declares its max load. */
  readonly syntheticRigs: boolean;
}

export type FailureKindName =
  | 'outage'
  | 'outage-will'
  | 'store-and-forward'
  | 'fault'
  | 'reset'
  | 'spike'
  | 'clock-skew'
  | 'duplicate'
  | 'out-of-order'
  | 'garbage'
  | 'wrong-topic';

/** One injected failure on one meter, snapped to that meter's reporting grid. [fromMs, toMs); instant kinds have toMs = fromMs. */
export interface FailureEvent {
  readonly id: number;
  readonly kind: FailureKindName;
  readonly meterId: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly newRegisterWh?: number;
  readonly spikeWh?: number;
  readonly skewMs?: number;
  readonly probability?: number;
  readonly delayIntervals?: number;
  readonly victim?: string;
}

export type CurtailmentRule =
  | {
      readonly kind: 'daily-run-window';
      readonly meterIds: ReadonlySet<string>;
      readonly fromMin: number;
      readonly toMin: number;
    }
  | {
      readonly kind: 'curtail';
      readonly meterIds: ReadonlySet<string>;
      readonly fromMs: number;
      readonly toMs: number;
      readonly fraction: number;
    };

export interface SimPlan {
  readonly name: string;
  readonly seed: number;
  readonly startMs: number;
  /** undefined: run until stopped (live). */
  readonly endMs: number | undefined;
  readonly meters: readonly SimMeter[];
  readonly failures: readonly FailureEvent[];
  readonly curtailment: readonly CurtailmentRule[];
  readonly tsFormat: 'iso-utc' | 'iso-local' | 'epoch-ms';
  readonly publishKw: boolean;
  readonly rigBehaviour: RigBehaviour;
  /** Meters that speak a device format instead of our JSON (scenario `formats`). */
  readonly formats?: Readonly<Record<string, SimFormat>>;
  /**
   * A run resumed on what an earlier one stored: per meter, the newest reading already stored. Nothing of that
   * meter at or before it is sent again; its physics still runs through it, so what follows is exactly what an
   * uninterrupted run sends (simulator/meter-stream.ts).
   */
  readonly resumeAfterMs?: ReadonlyMap<string, number>;
}
