/**
 * The fee days' checkpoint (<dataDir>/fee-days-checkpoint.json): fee_1d is current, for every meter and every
 * day of the quarter running at `completeBeforeMs` up to that instant, with every reading that arrived before it,
 * computed from these inputs (registry, tariffs, policy, prices: `inputs`, a digest). A restart then recomputes
 * the days from two days before it (what the passes keep recomputing while they run) to now, and the meters
 * whose readings arrived after it (their durable rollup marks), instead of the whole running quarter for every
 * meter (issue 25). Without the file, with other inputs or an unreadable file: the running quarter, as before.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { MeterFacts, QuarterPrice, RoundingRule, SubstitutionPolicy, TariffSet } from '../fees/index.ts';
import { FEE_DAY_FIELDS } from '../store/schema.ts';
import { readJsonFile, writeJsonFile } from '../util/json-file.ts';

const schema = z.strictObject({
  completeBeforeMs: z.number().int().nonnegative(),
  inputs: z.string().regex(/^[a-f0-9]{64}$/),
  writtenAt: z.string(),
});

export interface FeeDaysCheckpoint {
  readonly completeBeforeMs: number;
  readonly inputs: string;
}

/** What fee_1d is computed from, as a digest: when it changes, every day may change. */
export function feeInputsDigest(inputs: {
  readonly facts: readonly MeterFacts[];
  readonly tariffs: TariffSet;
  readonly policy?: SubstitutionPolicy | undefined;
  readonly prices?: readonly QuarterPrice[] | undefined;
  readonly roundingOverride?: RoundingRule | undefined;
}): string {
  // A schedule's file path says where it was read, not what it says.
  const schedules = inputs.tariffs.schedules.map(({ file: _file, ...rest }) => rest);
  // FEE_DAY_FIELDS: a checkpoint from before a new fee_1d field makes the next start rewrite the quarter.
  const doc = JSON.stringify([
    FEE_DAY_FIELDS,
    inputs.facts,
    schedules,
    inputs.policy ?? null,
    inputs.prices ?? [],
    inputs.roundingOverride ?? null,
  ]);
  return createHash('sha256').update(doc).digest('hex');
}

/** The checkpoint in `file`; undefined when there is none or it cannot be read (then the whole quarter). */
export function readFeeDaysCheckpoint(file: string): FeeDaysCheckpoint | undefined {
  try {
    const doc = readJsonFile(file, schema, (m) => new Error(m));
    return doc && { completeBeforeMs: doc.completeBeforeMs, inputs: doc.inputs };
  } catch {
    return undefined;
  }
}

export function writeFeeDaysCheckpoint(file: string, cp: FeeDaysCheckpoint, nowMs: number): void {
  writeJsonFile(file, { ...cp, writtenAt: new Date(nowMs).toISOString() });
}
