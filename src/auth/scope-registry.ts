import type { Registry } from '../registry/types.ts';

const cache = new WeakMap<Registry, Map<string, Registry>>();

/**
 * The registry as one taxpayer's staff may see it: their taxpayer, their sites, their meters (a meter's
 * taxpayer is the miner whose rigs it measures, so a hosting site's meters split between taxpayers).
 */
export function scopeRegistry(registry: Registry, bin: string | undefined): Registry {
  if (bin === undefined) return registry;
  let byBin = cache.get(registry);
  if (!byBin) cache.set(registry, (byBin = new Map()));
  const hit = byBin.get(bin);
  if (hit) return hit;
  const meters = registry.meters.filter((m) => m.taxpayerBin === bin);
  const siteIds = new Set(meters.map((m) => m.siteId));
  const sites = registry.sites.filter((s) => siteIds.has(s.id) || s.taxpayer === bin);
  const scoped: Registry = {
    ...registry,
    taxpayers: registry.taxpayers.filter((t) => t.bin === bin),
    sites,
    meters,
    meterById: new Map(meters.map((m) => [m.id, m])),
    siteById: new Map(sites.map((s) => [s.id, s])),
    prices: registry.prices.filter((p) => siteIds.has(p.siteId)),
  };
  byBin.set(bin, scoped);
  return scoped;
}
