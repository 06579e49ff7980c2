import { parseRegistryDate } from '../util/time.ts';
import type { MeterInput, PriceInput, RigInput, SiteInput, TaxpayerInput } from './schema.ts';
import { meterTaxpayer } from './meter-taxpayer.ts';
import type { Meter, Registry, Rig } from './types.ts';
import type { DeviceInput, MappingInput } from '../formats/device-schema.ts';
import { resolveDevices } from './resolve-devices.ts';

interface Inputs {
  taxpayers: TaxpayerInput[];
  sites: SiteInput[];
  meters: MeterInput[];
  rigs: RigInput[];
  prices?: PriceInput[];
  devices?: DeviceInput[];
  mappings?: MappingInput[];
}
type Files = Partial<Record<'taxpayers' | 'sites' | 'meters' | 'rigs' | 'prices' | 'devices', string>>;
export type ResolveResult = { ok: true; value: Registry } | { ok: false; problems: string[] };

function duplicates<T>(items: readonly T[], key: (t: T) => string): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const it of items) {
    const k = key(it);
    if (seen.has(k)) dup.push(k);
    seen.add(k);
  }
  return dup;
}

/** Max load history from rigs with install/remove dates: the sum of rated power of the rigs in place. */
function maxLoadFromRigs(rigs: readonly Rig[], commissionedMs: number): { fromMs: number; maxLoadW: number }[] {
  const changes = new Map<number, number>();
  const add = (t: number, w: number) => changes.set(t, (changes.get(t) ?? 0) + w);
  for (const r of rigs) {
    add(Math.max(r.installedMs ?? commissionedMs, commissionedMs), r.ratedPowerW);
    if (r.removedMs !== undefined) add(Math.max(r.removedMs, commissionedMs), -r.ratedPowerW);
  }
  const out: { fromMs: number; maxLoadW: number }[] = [];
  let w = 0;
  for (const t of [...changes.keys()].sort((a, b) => a - b)) {
    w += changes.get(t) ?? 0;
    const last = out[out.length - 1];
    if (last && last.maxLoadW === w) continue;
    out.push({ fromMs: t, maxLoadW: w });
  }
  if (out.length === 0 || out[0]!.fromMs > commissionedMs) out.unshift({ fromMs: commissionedMs, maxLoadW: 0 });
  return out;
}

export function resolveRegistry(input: Inputs, files: Files, version: string): ResolveResult {
  const problems: string[] = [];
  const f = (k: keyof Files) => files[k] ?? `${k}.yaml`;
  const taxpayerBins = new Set(input.taxpayers.map((t) => t.bin));
  for (const d of duplicates(input.taxpayers, (t) => t.bin))
    problems.push(`${f('taxpayers')}: taxpayer bin "${d}" appears twice`);
  for (const d of duplicates(input.sites, (s) => s.id)) problems.push(`${f('sites')}: site id "${d}" appears twice`);
  for (const d of duplicates(input.meters, (m) => m.id)) problems.push(`${f('meters')}: meter id "${d}" appears twice`);
  for (const d of duplicates(input.rigs, (r) => r.serial))
    problems.push(`${f('rigs')}: rig serial "${d}" appears twice`);

  const siteById = new Map(input.sites.map((s) => [s.id, s]));
  input.sites.forEach((s, i) => {
    if (!taxpayerBins.has(s.taxpayer))
      problems.push(
        `${f('sites')}: entry sites[${i}] (id "${s.id}") field "taxpayer": no taxpayer with bin "${s.taxpayer}" in ${f('taxpayers')}`,
      );
  });

  const prices = input.prices ?? [];
  for (const d of duplicates(prices, (p) => `${p.site} ${p.quarter}`))
    problems.push(`${f('prices')}: the price of site and quarter "${d}" appears twice`);
  prices.forEach((p, i) => {
    if (!siteById.has(p.site))
      problems.push(
        `${f('prices')}: entry prices[${i}] (site "${p.site}") field "site": no site with id "${p.site}" in ${f('sites')}`,
      );
  });

  const meterInputs = new Map(input.meters.map((m) => [m.id, m]));
  const rigsByMeter = new Map<string, Rig[]>();
  input.rigs.forEach((r, i) => {
    const where = `${f('rigs')}: entry rigs[${i}] (serial "${r.serial}")`;
    const meter = meterInputs.get(r.meter);
    if (!meter) {
      problems.push(`${where} field "meter": no meter with id "${r.meter}" in ${f('meters')}`);
      return;
    }
    if (r.taxpayer !== undefined && !taxpayerBins.has(r.taxpayer))
      problems.push(`${where} field "taxpayer": no taxpayer with bin "${r.taxpayer}" in ${f('taxpayers')}`);
    const tz = siteById.get(meter.site)?.timeZone ?? 'Asia/Almaty';
    const installedMs = r.installedAt === undefined ? undefined : parseRegistryDate(r.installedAt, tz);
    const removedMs = r.removedAt === undefined ? undefined : parseRegistryDate(r.removedAt, tz);
    if (installedMs !== undefined && removedMs !== undefined && removedMs <= installedMs)
      problems.push(`${where} field "removedAt": must be after installedAt`);
    const list = rigsByMeter.get(r.meter) ?? [];
    list.push({
      ...r,
      ...(installedMs !== undefined && { installedMs }),
      ...(removedMs !== undefined && { removedMs }),
    });
    rigsByMeter.set(r.meter, list);
  });

  const meters: Meter[] = [];
  input.meters.forEach((m, i) => {
    const where = `${f('meters')}: entry meters[${i}] (id "${m.id}")`;
    const site = siteById.get(m.site);
    if (!site) {
      problems.push(`${where} field "site": no site with id "${m.site}" in ${f('sites')}`);
      return;
    }
    const tz = site.timeZone;
    const commissionedMs = parseRegistryDate(m.commissionedAt, tz)!;
    const decommissionedMs = m.decommissionedAt === undefined ? undefined : parseRegistryDate(m.decommissionedAt, tz);
    if (decommissionedMs !== undefined && decommissionedMs <= commissionedMs)
      problems.push(`${where} field "decommissionedAt": must be after commissionedAt`);
    const sources = m.sources.map((s) => ({ fromMs: parseRegistryDate(s.from, tz)!, source: s.source }));
    for (let k = 1; k < sources.length; k++) {
      if (sources[k]!.fromMs <= sources[k - 1]!.fromMs)
        problems.push(`${where} field "sources[${k}].from": dates must increase`);
    }
    if (sources[0]!.fromMs > commissionedMs)
      problems.push(
        `${where} field "sources[0].from": must be on or before commissionedAt (${m.commissionedAt}) so every metered hour has a source`,
      );
    const rigs = rigsByMeter.get(m.id) ?? [];
    let maxLoad: { fromMs: number; maxLoadW: number }[];
    let maxLoadBasis: Meter['maxLoadBasis'];
    if (m.maxLoadKw !== undefined) {
      if (rigs.length > 0)
        problems.push(
          `${where} field "maxLoadKw": declare max load only for a meter without rigs; ${rigs.length} rigs point to this meter, so max load is their rated power`,
        );
      const periods = typeof m.maxLoadKw === 'number' ? [{ from: m.commissionedAt, kw: m.maxLoadKw }] : m.maxLoadKw;
      maxLoad = periods.map((p) => ({ fromMs: parseRegistryDate(p.from, tz)!, maxLoadW: Math.round(p.kw * 1000) }));
      maxLoadBasis = 'declared';
    } else if (rigs.length > 0) {
      maxLoad = maxLoadFromRigs(rigs, commissionedMs);
      maxLoadBasis = 'rigs';
    } else {
      problems.push(
        `${where} field "maxLoadKw": required when no rigs point to this meter (the max-load substitution needs it)`,
      );
      return;
    }
    const taxpayer = meterTaxpayer({ where, meter: m, site, rigs, taxpayerBins, taxpayersFile: f('taxpayers') });
    if (!taxpayer.ok) {
      problems.push(taxpayer.problem);
      return;
    }
    meters.push({
      id: m.id,
      siteId: site.id,
      taxpayerBin: taxpayer.bin,
      timeZone: tz,
      reportingIntervalS: m.reportingIntervalS,
      commissionedMs,
      ...(decommissionedMs !== undefined && { decommissionedMs }),
      sources,
      maxLoad,
      maxLoadBasis,
      rigs,
    });
  });

  const devices = resolveDevices(
    input.devices ?? [],
    input.mappings ?? [],
    new Set(input.meters.map((m) => m.id)),
    f('devices'),
  );
  problems.push(...devices.problems);

  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    value: {
      taxpayers: input.taxpayers,
      sites: input.sites,
      meters,
      meterById: new Map(meters.map((m) => [m.id, m])),
      siteById,
      version,
      prices: prices.map((p) => ({
        siteId: p.site,
        quarter: p.quarter,
        averagePriceTiynPerKwh: p.averagePriceTiynPerKwh,
      })),
      ...(devices.devices.length > 0 && { devices: devices.devices }),
    },
  };
}
