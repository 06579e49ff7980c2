/** Sanity checks of the ledger inputs that are not readings. */
import { type MeterFacts, type SubstitutionPolicy } from './types.ts';
import { type Result, ok, fail } from '../util/result.ts';
import { isValidTimeZone } from './zoned-time.ts';

function sortedByFrom(entries: readonly { fromMs: number }[]): boolean {
  for (let i = 1; i < entries.length; i++) if (entries[i - 1]!.fromMs > entries[i]!.fromMs) return false;
  return entries.every((e) => Number.isSafeInteger(e.fromMs));
}

export function checkMeterFacts(facts: MeterFacts): Result<MeterFacts> {
  const m = `meter ${facts.meterId}`;
  if (facts.sources.length === 0 || !sortedByFrom(facts.sources))
    return fail(`${m}: sources must be non-empty and sorted by fromMs`);
  if (facts.maxLoad.length === 0 || !sortedByFrom(facts.maxLoad))
    return fail(`${m}: maxLoad must be non-empty and sorted by fromMs`);
  const badLoad = facts.maxLoad.find((e) => !Number.isSafeInteger(e.maxLoadW) || e.maxLoadW < 0);
  if (badLoad) return fail(`${m}: maxLoad.maxLoadW must be a non-negative integer (watts), got ${badLoad.maxLoadW}`);
  if (!(facts.reportingIntervalS > 0)) return fail(`${m}: reportingIntervalS must be > 0`);
  if (!Number.isSafeInteger(facts.commissionedMs)) return fail(`${m}: commissionedMs must be an integer`);
  if (facts.decommissionedMs !== undefined && !(facts.decommissionedMs > facts.commissionedMs)) {
    return fail(`${m}: decommissionedMs must be after commissionedMs`);
  }
  if (!isValidTimeZone(facts.timeZone)) return fail(`${m}: unknown time zone '${facts.timeZone}'`);
  return ok(facts);
}

export function checkPolicy(policy: SubstitutionPolicy): Result<SubstitutionPolicy> {
  if (policy.name !== 'strict' && policy.name !== 'register-reconciled')
    return fail(`policy: unknown name '${String(policy.name)}'`);
  if (!(policy.graceIntervals >= 1)) return fail('policy: graceIntervals must be >= 1');
  if (!(policy.spikeTolerance >= 1)) return fail('policy: spikeTolerance must be >= 1');
  return ok(policy);
}
