/**
 * Which meters a ledger covers (a site, a taxpayer, or everything) and the
 * adapter from the registry's Meter to the fee engine's MeterFacts.
 */
import type { MeterFacts } from '../fees/index.ts';
import type { Result } from '../util/result.ts';
import type { Meter, Registry } from '../registry/types.ts';

export interface LedgerScope {
  readonly siteId?: string;
  readonly taxpayerBin?: string;
}

/** Registry meter -> the facts the fee engine needs (the same fields, id renamed). */
export function meterFacts(m: Meter): MeterFacts {
  const { id, maxLoadBasis: _basis, rigs: _rigs, ...facts } = m;
  return { meterId: id, ...facts };
}

/**
 * The meters in scope, in registry order; unknown site or taxpayer is an error naming what exists. A taxpayer's
 * scope is its own meters (the meter's taxpayer), wherever they are: at a hosting site the hosted miner's meters,
 * never the host's or another miner's.
 */
export function metersInScope(registry: Registry, scope: LedgerScope): Result<MeterFacts[]> {
  if (scope.siteId !== undefined && !registry.siteById.has(scope.siteId)) {
    return {
      ok: false,
      reason: `unknown site "${scope.siteId}" (known: ${registry.sites.map((s) => s.id).join(', ')})`,
    };
  }
  if (scope.taxpayerBin !== undefined && !registry.taxpayers.some((t) => t.bin === scope.taxpayerBin)) {
    return {
      ok: false,
      reason: `unknown taxpayer BIN "${scope.taxpayerBin}" (known: ${registry.taxpayers.map((t) => t.bin).join(', ')})`,
    };
  }
  const meters = registry.meters.filter(
    (m) =>
      (scope.siteId === undefined || m.siteId === scope.siteId) &&
      (scope.taxpayerBin === undefined || m.taxpayerBin === scope.taxpayerBin),
  );
  if (meters.length === 0) {
    const what = [scope.siteId && `site "${scope.siteId}"`, scope.taxpayerBin && `taxpayer "${scope.taxpayerBin}"`]
      .filter(Boolean)
      .join(' and ');
    return {
      ok: false,
      reason: `no meters for ${what || 'the registry'}${scope.siteId && scope.taxpayerBin ? ' (that taxpayer has no meter at that site)' : ''}`,
    };
  }
  return { ok: true, value: meters.map(meterFacts) };
}
