/** Every user-facing text of the seals, in one place so the i18n catalogue can take them over. */
import type { Difference } from './locate.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export const SEAL_MESSAGES = {
  digest: (site: string, day: string, v: number) =>
    `site ${site}, day ${day}: seal v${v} was edited (its digest does not match its content)`,
  signature: (site: string, day: string, v: number, keyId: string) =>
    `site ${site}, day ${day}: seal v${v}'s signature does not verify with key ${keyId}`,
  unknownKey: (site: string, day: string, v: number, keyId: string) =>
    `site ${site}, day ${day}: seal v${v} is signed by key ${keyId}, which is not among the installation's keys`,
  chain: (site: string, day: string, v: number) =>
    `site ${site}, day ${day}: seal v${v} does not chain to the site's previous seal (a seal was removed, replaced or reordered)`,
  missingMeter: (site: string, day: string, v: number, meter: string) =>
    `site ${site}, day ${day} (seal v${v}): meter ${meter} is sealed but no longer in the registry`,
  difference: (site: string, day: string, v: number, meter: string, d: Difference, nowWh?: number | null) => {
    const where = `site ${site}, day ${day} (seal v${v}), meter ${meter}`;
    if (d.kind === 'several') return `${where}: several ${d.record}s were changed, added or deleted since the seal`;
    const what = d.kind === 'changed' && nowWh !== undefined && nowWh !== null ? ` (register now ${nowWh} Wh)` : '';
    return `${where}: the ${d.record} at ${iso(d.tsMs)} (${d.tsMs}) was ${d.kind} behind the service's back${what}`;
  },
  ok: (seals: number, days: number, readings: number) =>
    `seals: ${seals} seal(s) of ${days} site-day(s) verify against InfluxDB (${readings} readings)`,
  sealed: (n: number) => (n ? `sealed ${n} site-day(s)` : 'nothing to seal: every ended day is sealed'),
  sealedDay: (site: string, day: string, v: number, readings: number, digest: string) =>
    `${site} ${day} v${v}: ${readings} readings, ${digest}`,
} as const;
