/**
 * Sealing a site's local days (issue 24): read every stored reading and status of the site's meters, a few
 * meters a request (bounded memory), put them in the canonical form (canonical.ts), chain to the site's last
 * seal, sign, keep it in the state (SealStore) and in InfluxDB (`reading_seal`). A day already sealed is
 * never sealed again silently: new data makes an amendment, a new version naming the one it amends and what
 * changed.
 */
import type { Logger } from 'pino';
import { addDays, formatLocalDate, localDateOf, parseLocalDate, zonedMidnightMs } from '../fees/zoned-time.ts';
import type { Registry, Site } from '../registry/types.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { firstRecordMs, readSealRecords } from '../store/query/seal-records.ts';
import { sealLine } from '../store/schema.ts';
import type { Signer } from '../util/ed25519.ts';
import { sealDigest, sealMeter, SEAL_FORMAT, type MeterSeal } from './canonical.ts';
import { changeCounts } from './locate.ts';
import type { SealStore } from './seal-store.ts';
import { SealError, type Seal } from './seal-types.ts';

export interface SealerDeps {
  readonly registry: Registry;
  readonly target: InfluxTarget;
  readonly store: SealStore;
  readonly signer: Signer;
  /** Stores lines in InfluxDB (resolves once written). */
  readonly write: (lines: readonly string[]) => Promise<void>;
  readonly metersPerRequest: number;
  readonly log?: Logger;
  readonly now?: () => number;
}

export interface DayBounds {
  readonly fromMs: number;
  readonly toMs: number;
}

export function dayBounds(day: string, zone: string): DayBounds {
  const d = parseLocalDate(day);
  if (!d) throw new SealError(`${day}: not a date (YYYY-MM-DD)`, 'seal-bad-day');
  return { fromMs: zonedMidnightMs(d, zone), toMs: zonedMidnightMs(addDays(d, 1), zone) };
}

export const nextDay = (day: string) => formatLocalDate(addDays(parseLocalDate(day)!, 1));

export interface Sealer {
  /** Seal, per site, the days after its last sealed one that ended by `endedByMs` (and not after `throughDay`). */
  sealDue(opts: {
    endedByMs: number;
    throughDay?: string;
    maxDays?: number;
  }): Promise<{ sealed: Seal[]; more: boolean }>;
  /** A new version of a sealed day when what is stored differs from its latest seal; undefined when it does not. */
  amend(site: string, day: string): Promise<Seal | undefined>;
  /** The canonical entries of a site's meters over a span, chunk by chunk. */
  meterSeals(site: Site, bounds: DayBounds): Promise<MeterSeal[]>;
}

export function createSealer(deps: SealerDeps): Sealer {
  const now = deps.now ?? Date.now;
  const metersOf = (siteId: string) =>
    deps.registry.meters
      .filter((m) => m.siteId === siteId)
      .map((m) => m.id)
      .sort();

  async function meterSeals(site: Site, b: DayBounds): Promise<MeterSeal[]> {
    const ids = metersOf(site.id);
    const out: MeterSeal[] = [];
    for (let i = 0; i < ids.length; i += deps.metersPerRequest) {
      const chunk = ids.slice(i, i + deps.metersPerRequest);
      const records = await readSealRecords(deps.target, chunk, b.fromMs, b.toMs);
      for (const id of chunk) {
        const r = records.get(id)!;
        out.push(sealMeter(id, r.readings, r.statuses));
      }
    }
    return out;
  }

  async function make(site: Site, day: string, meters: MeterSeal[], amended?: Seal): Promise<Seal | undefined> {
    const b = dayBounds(day, site.timeZone);
    const header = {
      site: site.id,
      day,
      zone: site.timeZone,
      ...b,
      version: (amended?.version ?? 0) + 1,
      prev: deps.store.head(site.id)?.digest ?? null,
      amends: amended?.digest ?? null,
      sealedAtMs: now(),
    };
    const digest = sealDigest(header, meters);
    const sig = deps.signer.sign(digest);
    const seal: Seal = {
      format: SEAL_FORMAT,
      ...header,
      meters,
      readings: meters.reduce((a, m) => a + m.readings, 0),
      statuses: meters.reduce((a, m) => a + m.statuses, 0),
      digest,
      keyId: sig.keyId,
      signature: sig.signature,
      ...(amended && { change: changeCounts(amended.meters, meters) }),
    };
    if (!deps.store.put(seal)) return undefined; // another sealer made this version first
    await deps.write([sealLine(seal)]);
    deps.log?.info(
      { site: site.id, day, version: seal.version, readings: seal.readings, digest },
      amended ? 'Sealed day amended.' : 'Day sealed.',
    );
    return seal;
  }

  async function firstDay(site: Site): Promise<string | undefined> {
    const last = deps.store.days(site.id).at(-1);
    if (last) return nextDay(last);
    const first = await firstRecordMs(deps.target, metersOf(site.id));
    return first === undefined ? undefined : formatLocalDate(localDateOf(first, site.timeZone));
  }

  const siteOf = (id: string): Site => {
    const site = deps.registry.siteById.get(id);
    if (!site) throw new SealError(`site ${id} is not in the registry`, 'seal-unknown-site');
    return site;
  };

  return {
    meterSeals,
    async sealDue({ endedByMs, throughDay, maxDays = Infinity }) {
      const sealed: Seal[] = [];
      for (const site of deps.registry.sites) {
        let day = await firstDay(site);
        while (day && (!throughDay || day <= throughDay) && dayBounds(day, site.timeZone).toMs <= endedByMs) {
          if (sealed.length >= maxDays) return { sealed, more: true };
          const made = await make(site, day, await meterSeals(site, dayBounds(day, site.timeZone)));
          if (made) sealed.push(made);
          day = nextDay(day);
        }
      }
      return { sealed, more: false };
    },
    async amend(siteId, day) {
      const site = siteOf(siteId);
      const latest = deps.store.latest(siteId, day);
      if (!latest) return undefined;
      const meters = await meterSeals(site, dayBounds(day, site.timeZone));
      const same =
        meters.length === latest.meters.length && meters.every((m, i) => m.digest === latest.meters[i]?.digest);
      return same ? undefined : make(site, day, meters, latest);
    },
  };
}
