/**
 * Whose fee a meter's energy is. In a hosting data centre (licence subtype II miners placing their rigs in
 * someone else's facility) each miner pays its own fee: the taxpayer of a meter is the miner whose rigs it
 * measures, not necessarily the site's operator. Pure: registry inputs in, a BIN or a problem sentence out.
 */
import type { MeterInput, SiteInput } from './schema.ts';
import type { Rig } from './types.ts';

export interface MeterTaxpayerInput {
  /** `meters.yaml: entry meters[3] (id "hst-m01")`: where a problem is reported. */
  readonly where: string;
  readonly meter: MeterInput;
  readonly site: SiteInput;
  readonly rigs: readonly Rig[];
  readonly taxpayerBins: ReadonlySet<string>;
  readonly taxpayersFile: string;
}

export type MeterTaxpayer = { ok: true; bin: string } | { ok: false; problem: string };

const SPLIT = 'a meter measures the rigs of one taxpayer: split the meter (one meter per taxpayer) or move the rigs';

/** The rigs' owners: BIN -> serials, for rigs that name one. */
function ownersOf(rigs: readonly Rig[]): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  for (const r of rigs)
    if (r.taxpayer !== undefined) owners.set(r.taxpayer, [...(owners.get(r.taxpayer) ?? []), r.serial]);
  return owners;
}

const describeOwners = (owners: ReadonlyMap<string, readonly string[]>): string =>
  [...owners]
    .map(
      ([bin, serials]) =>
        `"${bin}": ${serials.length} rig${serials.length === 1 ? '' : 's'} (${serials.slice(0, 2).join(', ')}${serials.length > 2 ? ', ...' : ''})`,
    )
    .join('; ');

/**
 * The meter's `taxpayer`, else the one taxpayer its rigs name, else the site's operator. Refused: an unknown
 * BIN, rigs of several taxpayers behind one meter (no allocation rule is applied), rigs of another taxpayer
 * than the meter names, and a meter of a hosting site that names no taxpayer (the host is not the payer).
 */
export function meterTaxpayer(i: MeterTaxpayerInput): MeterTaxpayer {
  const stated = i.meter.taxpayer;
  if (stated !== undefined && !i.taxpayerBins.has(stated))
    return {
      ok: false,
      problem: `${i.where} field "taxpayer": no taxpayer with bin "${stated}" in ${i.taxpayersFile}`,
    };
  const owners = ownersOf(i.rigs);
  if (owners.size > 1)
    return {
      ok: false,
      problem: `${i.where}: the rigs behind this meter belong to ${owners.size} taxpayers (${describeOwners(owners)}); ${SPLIT}`,
    };
  const [owner] = owners.keys();
  if (stated !== undefined && owner !== undefined && owner !== stated)
    return {
      ok: false,
      problem: `${i.where} field "taxpayer": the meter belongs to "${stated}" but rigs behind it belong to ${describeOwners(owners)}; ${SPLIT}`,
    };
  if (stated === undefined && owner === undefined && i.site.role === 'hosting')
    return {
      ok: false,
      problem: `${i.where} field "taxpayer": site "${i.site.id}" is a hosting site (role: hosting), so its operator is not the payer: name the miner whose rigs this meter measures (taxpayer on the meter or on its rigs)`,
    };
  return { ok: true, bin: stated ?? owner ?? i.site.taxpayer };
}
