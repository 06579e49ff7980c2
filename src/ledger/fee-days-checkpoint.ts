/**
 * The fee days' checkpoint (<dataDir>/fee-days-checkpoint.json): fee_1d is current, for every meter and every
 * day of the quarter running at `completeBeforeMs` up to that instant, with every reading that arrived before it,
 * computed from these inputs (registry, tariffs, policy, prices: `inputs`, a digest). A restart then recomputes
 * the days from two days before it (what the passes keep recomputing while they run) to now, and the meters
 * whose readings arrived after it (their durable rollup marks), instead of the whole running quarter for every
 * meter (issue 25). Without the file, with other inputs or an unreadable file: the running quarter, as before.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { MeterFacts, QuarterPrice, SubstitutionPolicy, TariffSet } from '../fees/index.ts';

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
}): string {
  // A schedule's file path says where it was read, not what it says.
  const schedules = inputs.tariffs.schedules.map(({ file: _file, ...rest }) => rest);
  const doc = JSON.stringify([inputs.facts, schedules, inputs.policy ?? null, inputs.prices ?? []]);
  return createHash('sha256').update(doc).digest('hex');
}

/** The checkpoint in `file`; undefined when there is none or it cannot be read (then the whole quarter). */
export function readFeeDaysCheckpoint(file: string): FeeDaysCheckpoint | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? { completeBeforeMs: parsed.data.completeBeforeMs, inputs: parsed.data.inputs } : undefined;
  } catch {
    return undefined;
  }
}

/** Written whole or not at all (a rename over the old one). */
export function writeFeeDaysCheckpoint(file: string, cp: FeeDaysCheckpoint, nowMs: number): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...cp, writtenAt: new Date(nowMs).toISOString() }));
  renameSync(tmp, file);
}
