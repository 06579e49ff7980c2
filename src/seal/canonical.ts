/**
 * The seal's canonical form (issue 24; docs/fees.md "Sealed readings" states it byte for byte). Pure: no I/O.
 *
 * A meter's block, UTF-8, one record a line ending in "\n":
 *   meter <id>
 *   R <tsMs> <wh> <fault>        every stored reading, by tsMs ascending (wh, fault: decimal; "-" when absent)
 *   S <tsMs> <online|offline>     every stored status, by tsMs then state, after all readings
 * meterDigest = SHA-256(block), hex. The seal's header, UTF-8, one field a line ending in "\n":
 *   kzmeter-seal/1, site <id>, day <YYYY-MM-DD>, zone <IANA>, from <ms>, to <ms>, version <n>,
 *   prev <hex|none>, amends <hex|none>, sealed-at <ms>, meters <n>,
 *   then per meter, by id (code-unit order): m <id> <readings> <statuses> <meterDigest>
 * digest = SHA-256(header), hex; the signature is Ed25519 over the 64 ASCII bytes of that hex digest.
 */
import { createHash, type Hash } from 'node:crypto';

export const SEAL_FORMAT = 'kzmeter-seal/1';

/** A stored reading as sealed: time, register (Wh) and fault flag; null when the stored point lacks the field. */
export type SealReading = readonly [tsMs: number, wh: number | null, fault: number | null];
export type SealStatus = readonly [tsMs: number, state: string];

/**
 * Sums over a meter's records (decimal strings: BigInt arithmetic) that are not part of the digest: when one
 * reading was changed, added or deleted, the difference of two seals' sums names its time (see locate.ts).
 */
export interface MeterSums {
  readonly ts: string;
  readonly wh: string;
  readonly tsWh: string;
  readonly fault: string;
  readonly tsFault: string;
  readonly sTs: string;
  readonly sTsOnline: string;
}

export interface MeterSeal {
  readonly meter: string;
  readonly readings: number;
  readonly statuses: number;
  readonly digest: string;
  readonly sums: MeterSums;
}

const field = (v: number | null) => (v === null || !Number.isSafeInteger(v) ? '-' : String(v));

/** Records sorted as the canonical form wants them (a copy). */
export function canonicalOrder(
  readings: readonly SealReading[],
  statuses: readonly SealStatus[],
): { readings: SealReading[]; statuses: SealStatus[] } {
  return {
    readings: [...readings].sort((a, b) => a[0] - b[0]),
    statuses: [...statuses].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)),
  };
}

/** The canonical block of one meter's day (for docs, tests and an independent verifier). */
export function meterBlock(meter: string, readings: readonly SealReading[], statuses: readonly SealStatus[]): string {
  const o = canonicalOrder(readings, statuses);
  return (
    `meter ${meter}\n` +
    o.readings.map((r) => `R ${r[0]} ${field(r[1])} ${field(r[2])}\n`).join('') +
    o.statuses.map((s) => `S ${s[0]} ${s[1]}\n`).join('')
  );
}

/** One meter's seal entry: hashed line by line (no block string kept). */
export function sealMeter(meter: string, readings: readonly SealReading[], statuses: readonly SealStatus[]): MeterSeal {
  const o = canonicalOrder(readings, statuses);
  const h: Hash = createHash('sha256').update(`meter ${meter}\n`);
  let ts = 0n, wh = 0n, tsWh = 0n, fault = 0n, tsFault = 0n, sTs = 0n, sTsOnline = 0n; // prettier-ignore
  for (const r of o.readings) {
    h.update(`R ${r[0]} ${field(r[1])} ${field(r[2])}\n`);
    const t = BigInt(r[0]);
    const w = BigInt(Number.isSafeInteger(r[1]) ? r[1]! : 0);
    const f = BigInt(r[2] === 1 ? 1 : 0);
    ts += t;
    wh += w;
    tsWh += t * w;
    fault += f;
    tsFault += t * f;
  }
  for (const s of o.statuses) {
    h.update(`S ${s[0]} ${s[1]}\n`);
    sTs += BigInt(s[0]);
    if (s[1] === 'online') sTsOnline += BigInt(s[0]);
  }
  const sums = { ts, wh, tsWh, fault, tsFault, sTs, sTsOnline };
  return {
    meter,
    readings: o.readings.length,
    statuses: o.statuses.length,
    digest: h.digest('hex'),
    sums: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v.toString()])) as unknown as MeterSums,
  };
}

export interface SealHeader {
  readonly site: string;
  readonly day: string;
  readonly zone: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly version: number;
  readonly prev: string | null;
  readonly amends: string | null;
  readonly sealedAtMs: number;
}

/** The text the seal's digest is taken over. Meters must come sorted by id (sealDigest sorts them). */
export function sealHeaderText(
  h: SealHeader,
  meters: readonly Pick<MeterSeal, 'meter' | 'readings' | 'statuses' | 'digest'>[],
): string {
  const sorted = [...meters].sort((a, b) => (a.meter < b.meter ? -1 : a.meter > b.meter ? 1 : 0));
  return (
    `${SEAL_FORMAT}\nsite ${h.site}\nday ${h.day}\nzone ${h.zone}\nfrom ${h.fromMs}\nto ${h.toMs}\n` +
    `version ${h.version}\nprev ${h.prev ?? 'none'}\namends ${h.amends ?? 'none'}\nsealed-at ${h.sealedAtMs}\n` +
    `meters ${sorted.length}\n` +
    sorted.map((m) => `m ${m.meter} ${m.readings} ${m.statuses} ${m.digest}\n`).join('')
  );
}

export const sealDigest = (
  h: SealHeader,
  meters: readonly Pick<MeterSeal, 'meter' | 'readings' | 'statuses' | 'digest'>[],
): string => createHash('sha256').update(sealHeaderText(h, meters)).digest('hex');
