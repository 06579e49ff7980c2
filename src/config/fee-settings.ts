import type { RoundingRule, SubstitutionPolicy } from '../fees/index.ts';
import type { Config } from './schema.ts';

/** The configured default policy and rounding override, as the fee engine takes them. */
export function feeSettings(config: Config): { policy: SubstitutionPolicy; roundingOverride?: RoundingRule } {
  const { policy, graceIntervals, spikeTolerance, roundingOverride } = config.fees;
  return { policy: { name: policy, graceIntervals, spikeTolerance }, ...(roundingOverride && { roundingOverride }) };
}
