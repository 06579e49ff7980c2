/**
 * The seals a period rests on (issue 24): the sealed days of its sites inside it, checked against InfluxDB
 * before a close (a day that does not verify needs an acknowledgement, recorded), and their amendments, listed by
 * the late-data view, the close preview and the evidence package.
 */
import type { Registry } from '../registry/types.ts';
import type { Sealing } from '../seal/index.ts';
import type { Seal } from '../seal/seal-types.ts';
import { dayBounds } from '../seal/sealer.ts';
import { verifySeals } from '../seal/verify-seals.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import type { PeriodMeters } from './period-ledger.ts';

export interface SealAmendment {
  readonly site: string;
  readonly day: string;
  readonly version: number;
  readonly amends: string;
  readonly digest: string;
  readonly sealedAt: string;
  readonly change: Seal['change'];
}

export interface PeriodSealCheck {
  /** Sealed site-days inside the period. */
  readonly sealedDays: number;
  /** What does not verify, one sentence each (site, day, meter, reading). */
  readonly problems: string[];
  readonly amendments: SealAmendment[];
}

export interface PeriodSeals {
  /** Every sealed day of the period (all versions), oldest first. */
  seals(pm: Pick<PeriodMeters, 'meters' | 'fromMs' | 'toMs'>): Seal[];
  amendments(pm: Pick<PeriodMeters, 'meters' | 'fromMs' | 'toMs'>): SealAmendment[];
  check(pm: Pick<PeriodMeters, 'meters' | 'fromMs' | 'toMs'>): Promise<PeriodSealCheck>;
}

/** At most this many problems are named in a close's acknowledgement (the rest are counted). */
const MAX_NAMED = 5;

export function createPeriodSeals(deps: { registry: Registry; target: InfluxTarget; sealing: Sealing }): PeriodSeals {
  const { store } = deps.sealing;
  const inPeriod = (pm: Pick<PeriodMeters, 'meters' | 'fromMs' | 'toMs'>) => {
    const sites = new Set(pm.meters.map((m) => m.facts.siteId));
    return (site: string, day: string) => {
      const zone = deps.registry.siteById.get(site)?.timeZone;
      if (!sites.has(site) || !zone) return false;
      const b = dayBounds(day, zone);
      return b.fromMs >= pm.fromMs && b.toMs <= pm.toMs;
    };
  };
  const days = (pm: Pick<PeriodMeters, 'meters' | 'fromMs' | 'toMs'>) => {
    const only = inPeriod(pm);
    return store.sites().flatMap((site) => store.days(site).flatMap((day) => (only(site, day) ? [{ site, day }] : [])));
  };
  const seals = (pm: Pick<PeriodMeters, 'meters' | 'fromMs' | 'toMs'>) =>
    days(pm).flatMap(({ site, day }) => store.versions(site, day));
  const amendments = (pm: Pick<PeriodMeters, 'meters' | 'fromMs' | 'toMs'>): SealAmendment[] =>
    seals(pm)
      .filter((s) => s.amends !== null)
      .map((s) => ({
        site: s.site,
        day: s.day,
        version: s.version,
        amends: s.amends!,
        digest: s.digest,
        sealedAt: new Date(s.sealedAtMs).toISOString(),
        change: s.change,
      }));
  return {
    seals,
    amendments,
    async check(pm) {
      const r = await verifySeals({
        registry: deps.registry,
        target: deps.target,
        store,
        sealer: deps.sealing.sealer,
        publicKeys: deps.sealing.publicKeys,
        only: inPeriod(pm),
      });
      const named = r.problems.slice(0, MAX_NAMED).map((p) => p.message);
      const more = r.problems.length - named.length;
      return {
        sealedDays: r.days,
        problems: more > 0 ? [...named, `and ${more} more seal problem(s): run kzmeter verify`] : named,
        amendments: amendments(pm),
      };
    },
  };
}
