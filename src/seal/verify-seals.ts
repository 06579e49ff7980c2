/**
 * `kzmeter verify`'s seal check (issue 24): every seal on its own (digest, signature, chain), then the latest
 * version of every sealed day against what InfluxDB holds now, a site-day at a time and a few meters a request
 * (bounded memory). A difference names the site, day, meter and the reading changed, added or deleted.
 */
import type { Registry } from '../registry/types.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { readSealRecords } from '../store/query/seal-records.ts';
import { locateDifference } from './locate.ts';
import { SEAL_MESSAGES as M } from './messages.ts';
import { chainProblems, checkSeal } from './seal-check.ts';
import type { SealStore } from './seal-store.ts';
import type { Sealer } from './sealer.ts';

export interface SealProblem {
  readonly site: string;
  readonly day: string;
  readonly meter?: string;
  readonly tsMs?: number;
  readonly message: string;
}

export interface SealVerifyReport {
  readonly seals: number;
  readonly days: number;
  readonly readings: number;
  readonly problems: SealProblem[];
}

export interface VerifySealsDeps {
  readonly registry: Registry;
  readonly target: InfluxTarget;
  readonly store: SealStore;
  readonly sealer: Sealer;
  readonly publicKeys: ReadonlyMap<string, string>;
  /** Called after each site-day: done of total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Only these days (a period's close), as `site|day`; default every sealed day. */
  readonly only?: (site: string, day: string) => boolean;
}

export async function verifySeals(deps: VerifySealsDeps): Promise<SealVerifyReport> {
  const { store } = deps;
  const days = store.sites().flatMap((site) =>
    store
      .days(site)
      .filter((day) => deps.only?.(site, day) ?? true)
      .map((day) => ({ site, day })),
  );
  const problems: SealProblem[] = [];
  let seals = 0;
  let readings = 0;
  for (const site of store.sites()) {
    if (deps.only) continue; // a period's check looks at its days only, not the whole chain
    const all = store.days(site).flatMap((day) => store.versions(site, day).map(({ meters: _m, ...h }) => h));
    for (const p of chainProblems(all)) problems.push({ site, day: '', message: p });
  }
  let done = 0;
  for (const { site, day } of days) {
    const versions = store.versions(site, day);
    seals += versions.length;
    for (const v of versions) {
      const p = checkSeal(v, deps.publicKeys);
      if (p) problems.push({ site, day, message: p });
    }
    const latest = versions.at(-1)!;
    const siteRec = deps.registry.siteById.get(site);
    if (siteRec) {
      const now = await deps.sealer.meterSeals(siteRec, latest);
      const byId = new Map(now.map((m) => [m.meter, m] as const));
      for (const was of latest.meters) {
        readings += was.readings;
        const cur = byId.get(was.meter);
        if (!cur) {
          problems.push({ site, day, meter: was.meter, message: M.missingMeter(site, day, latest.version, was.meter) });
          continue;
        }
        const d = locateDifference(was, cur);
        if (!d) continue;
        const nowWh =
          'tsMs' in d && d.kind === 'changed' ? await registerAt(deps.target, was.meter, d.tsMs) : undefined;
        problems.push({
          site,
          day,
          meter: was.meter,
          ...('tsMs' in d && { tsMs: d.tsMs }),
          message: M.difference(site, day, latest.version, was.meter, d, nowWh),
        });
      }
    }
    deps.onProgress?.(++done, days.length);
  }
  return { seals, days: days.length, readings, problems };
}

async function registerAt(target: InfluxTarget, meter: string, tsMs: number): Promise<number | null> {
  const r = await readSealRecords(target, [meter], tsMs, tsMs + 1);
  return r.get(meter)?.readings[0]?.[1] ?? null;
}
