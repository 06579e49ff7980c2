import { type BucketSummary, LINE_REASONS, type LineReason } from '../fees/index.ts';
import type { FeeDay } from '../model/fee-day.ts';
import type { AcceptedReading, AcceptedStatus, Rejection } from '../model/reading.ts';

/**
 * The stored schema, in one place: measurement names, and the builder of every line the service writes
 * (readers in store/query/ use the same names). See README "Data model". All timestamps are written in
 * nanoseconds.
 *   reading      tags meter, site   fields wh (int, cumulative register), kw (float, optional), fault (int 0/1),
 *                                  rx_ms (int, arrival). The point's time is the reading's own time (ms). Readers take
 *                                  it from the time column: selectors without GROUP BY time() return the selected
 *                                  point's time. (Until issue 27, a ts_ms field repeated it: 27% of influxd's CPU per
 *                                  reading; rows written then still carry it, and it is ignored.)
 *   meter_status tags meter, site   fields state ("online"|"offline"), online (int 1/0)
 *   rejected     tags reason[, meter] fields topic, detail (the first occurrence's), payload (capped), bytes (int),
 *                                  count (int: how many readings of the message, or ignored messages, it stands for)
 *   reading_1h, reading_1d  (rollups, derived from `reading`; time = bucket start, UTC hour / UTC day)
 *                tags meter         fields count, first_ts, first_wh, last_ts, last_wh, faults, max_gap, min_step (int),
 *                                  max_pw (float, W): the BucketSummary of the bucket (src/fees/bucket-summary.ts)
 *   rollup_dirty tags meter         fields hour_ms (int): "readings of this meter-hour were written" (see src/rollup/marks.ts)
 *   fee_1d  tags meter, site, taxpayer, source, quarter (the meter's local quarter, e.g. 2025-Q3)
 *           fields (integers) energy_wh, metered_wh, substituted_wh, fee_milli_tiyn, metered_fee_milli_tiyn,
 *                  substituted_fee_milli_tiyn, lines, and per reason R (gap, last_will, fault_status, ...):
 *                  wh_R, fee_milli_tiyn_R
 *           time   the local midnight that starts the day (see src/ledger/fee-days.ts)
 *   invoice tags site, month (YYYY-MM), quarter (YYYY-Qn)   fields energy_wh (int, the supplier's invoiced Wh in force), version (int)
 *           time   the local midnight that starts the month in the site's zone (a new version overwrites the point)
 *   reading_seal tags site      fields day (string, local YYYY-MM-DD), version, readings, statuses, meters, sealed_at (int),
 *                               digest, prev, amends, key_id, signature (strings): one seal of a site's local day
 *           time   the local midnight that starts the day, the version in the nanosecond digits (see src/seal/)
 * A reading is identified by (meter, site, time): a redelivered reading overwrites itself (idempotent).
 */
/** Every measurement the service writes or reads. */
export const MEASUREMENT = {
  reading: 'reading',
  status: 'meter_status',
  rejected: 'rejected',
  hour: 'reading_1h',
  day: 'reading_1d',
  dirty: 'rollup_dirty',
  feeDay: 'fee_1d',
  invoice: 'invoice',
  seal: 'reading_seal',
} as const;

const TAG_SPECIAL = /[,= \\\n]/;
/** Most tag values (meter and site ids) need no escape: tested first, replaced only when needed (one per reading). */
export const escTag = (s: string) =>
  TAG_SPECIAL.test(s) ? s.replace(/[,= \\]/g, (c) => `\\${c}`).replace(/\n/g, '\\n') : s;
const escStr = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
const ns = (ms: number) => `${ms}000000`;

/** `reading,meter=<m>,site=<s> wh=` per site and meter: the same for each of its readings (the registry's at most). */
const readingPrefixes = new Map<string, Map<string, string>>();
const MAX_PREFIXES = 100_000;
let prefixCount = 0;

function readingPrefix(meterId: string, siteId: string): string {
  let bySite = readingPrefixes.get(siteId);
  const p = bySite?.get(meterId);
  if (p !== undefined) return p;
  if (prefixCount >= MAX_PREFIXES) {
    readingPrefixes.clear();
    prefixCount = 0;
    bySite = undefined;
  }
  if (!bySite) readingPrefixes.set(siteId, (bySite = new Map()));
  const made = `reading,meter=${escTag(meterId)},site=${escTag(siteId)} wh=`;
  bySite.set(meterId, made);
  prefixCount++;
  return made;
}

/**
 * A string built by `+` is a tree of parts (a cons string per `+`, a string per number) until something reads it
 * whole. A line waits in the writer's batch, through several young-generation collections that copy every part
 * (issue 27: kept, a reading line cost 2.2 us to build, 0.8 us once read whole at once; the batch's join 0.5 ->
 * 0.38 us per line). Reading a character makes V8 flatten it into one string, now, while its parts are young.
 */
export function flat(line: string): string {
  line.charCodeAt(0);
  return line;
}

/**
 * The decimal text of an integer, as String(n). Past 2^30 V8 holds it as a double and converts it through its
 * shortest-form algorithm (130-185 ns, and epoch milliseconds are all past it); as two small integers, 45 ns.
 */
export function intText(n: number): string {
  if (n < 0x40000000 || !Number.isSafeInteger(n)) return String(n);
  const hi = Math.floor(n / 1e6);
  return String(hi) + String(1e6 + (n - hi * 1e6)).slice(1);
}

export function readingLine(r: AcceptedReading, receivedMs: number): string {
  const kw = r.kw === undefined ? '' : `,kw=${Number.isInteger(r.kw) ? `${r.kw}.0` : r.kw}`;
  return flat(
    readingPrefix(r.meterId, r.siteId) +
      intText(r.registerWh) +
      (r.status === 'fault' ? `i${kw},fault=1i,rx_ms=` : `i${kw},fault=0i,rx_ms=`) +
      intText(receivedMs) +
      'i ' +
      intText(r.tsMs) +
      '000000',
  );
}

/** `seq` in the ns digits keeps two events of the same millisecond (online, then the will) apart. */
export function statusLine(s: AcceptedStatus, tsMs: number, seq = 0): string {
  return `meter_status,meter=${escTag(s.meterId)},site=${escTag(s.siteId)} state=${escStr(s.state)},online=${s.state === 'online' ? 1 : 0}i ${tsMs}${String(seq % 1_000_000).padStart(6, '0')}`;
}

/** Keep at most `maxBytes` of a payload, as text (invalid bytes become U+FFFD). */
export function capPayload(payload: Uint8Array, maxBytes: number): string {
  const cut = payload.byteLength > maxBytes ? payload.subarray(0, maxBytes) : payload;
  return Buffer.from(cut).toString('utf8') + (payload.byteLength > maxBytes ? '…' : '');
}

/**
 * One record per message and reason (or per sampled ignored topic), whatever the message's size: `count` says
 * how many it stands for. `seq` keeps rejections of the same millisecond apart (same series + time overwrite).
 */
export function rejectedLine(
  r: Pick<Rejection, 'detail' | 'meterId'> & { readonly reason: string; readonly count?: number },
  topic: string,
  payload: Uint8Array,
  maxPayloadBytes: number,
  tsMs: number,
  seq: number,
): string {
  const meter = r.meterId ? `,meter=${escTag(r.meterId)}` : '';
  const fields = `topic=${escStr(topic.slice(0, 256))},detail=${escStr(r.detail)},payload=${escStr(capPayload(payload, maxPayloadBytes))},bytes=${payload.byteLength}i,count=${r.count ?? 1}i`;
  return `rejected,reason=${escTag(r.reason)}${meter} ${fields} ${tsMs}${String(seq % 1_000_000).padStart(6, '0')}`;
}

export const ROLLUP_MEASUREMENT = { hour: MEASUREMENT.hour, day: MEASUREMENT.day } as const;

/**
 * A rollup bucket: rewriting the same bucket overwrites it (same series + time). Tagged by meter only, so a
 * meter moved to another site (or a renamed site) still has one series and never two rows for one bucket.
 */
export function rollupLine(kind: keyof typeof ROLLUP_MEASUREMENT, meterId: string, b: BucketSummary): string {
  const pw = Number.isInteger(b.maxStepPowerW) ? `${b.maxStepPowerW}.0` : String(b.maxStepPowerW);
  return (
    `${ROLLUP_MEASUREMENT[kind]},meter=${escTag(meterId)} count=${b.count}i,first_ts=${b.firstTsMs}i,first_wh=${b.firstRegisterWh}i,` +
    `last_ts=${b.lastTsMs}i,last_wh=${b.lastRegisterWh}i,faults=${b.faultCount}i,max_gap=${b.maxGapMs}i,min_step=${b.minStepWh}i,max_pw=${pw} ${ns(b.startMs)}`
  );
}

/** Marks are kept one per meter, hour and 10-minute slot of arrival (src/rollup/marks.ts). */
export const MARK_SLOT_MS = 600_000;

/**
 * A durable "meter-hour needs its rollup recomputed" mark, written in the same batch as the readings.
 * Time = the arrival time cut to `slotMs`, with the hour's index in the nanosecond digits, so one point per
 * meter, hour and slot (re-marking overwrites) and marks can be read back by arrival time.
 */
export function dirtyMarkLine(meterId: string, hourStartMs: number, receivedMs: number, slotMs: number): string {
  const slot = Math.floor(receivedMs / slotMs) * slotMs;
  const hourIndex = Math.floor(hourStartMs / 3_600_000);
  return flat(
    `rollup_dirty,meter=${escTag(meterId)} hour_ms=${intText(hourStartMs)}i ${intText(slot)}${String(hourIndex % 1_000_000).padStart(6, '0')}`,
  );
}

/** Every reason a ledger line can carry, as `fee_1d` field-name suffixes. */
export const FEE_REASONS: readonly LineReason[] = LINE_REASONS;
const reasonField = (reason: LineReason) => reason.replace(/-/g, '_');

/**
 * The `fee_1d` point of a FeeDay. Every field is written every time (zeros included), so rewriting a day
 * overwrites all of it.
 */
/** Bumped when fee_1d gains or loses a field: the fee-days checkpoint then rewrites the running quarter once. */
export const FEE_DAY_FIELDS = 2;

export function feeDayLine(d: FeeDay): string {
  const tags =
    `${MEASUREMENT.feeDay},meter=${escTag(d.meterId)},site=${escTag(d.siteId)},taxpayer=${escTag(d.taxpayerBin)}` +
    `,source=${escTag(d.source)},quarter=${escTag(d.quarter)}`;
  const fields = [
    `energy_wh=${d.meteredWh + d.substitutedWh}i`,
    `metered_wh=${d.meteredWh}i`,
    `substituted_wh=${d.substitutedWh}i`,
    `fee_milli_tiyn=${d.meteredFeeMilliTiyn + d.substitutedFeeMilliTiyn}i`,
    `metered_fee_milli_tiyn=${d.meteredFeeMilliTiyn}i`,
    `substituted_fee_milli_tiyn=${d.substitutedFeeMilliTiyn}i`,
    `lines=${d.lines}i`,
    `round_unit_milli_tiyn=${d.roundUnitMilliTiyn}i`,
    ...FEE_REASONS.flatMap((r) => {
      const v = d.byReason.get(r);
      return [`wh_${reasonField(r)}=${v?.wh ?? 0}i`, `fee_milli_tiyn_${reasonField(r)}=${v?.feeMilliTiyn ?? 0}i`];
    }),
  ];
  return `${tags} ${fields.join(',')} ${ns(d.dayStartMs)}`;
}

/** The `invoice` point of a site's month: the version in force (issue 24; Grafana's invoiced-vs-metered panel). */
export function invoiceLine(i: {
  siteId: string;
  month: string;
  monthStartMs: number;
  energyWh: number;
  version: number;
}): string {
  const [year, month] = i.month.split('-').map(Number) as [number, number];
  const quarter = `${year}-Q${Math.ceil(month / 3)}`;
  return `${MEASUREMENT.invoice},site=${escTag(i.siteId)},month=${escTag(i.month)},quarter=${quarter} energy_wh=${i.energyWh}i,version=${i.version}i ${ns(i.monthStartMs)}`;
}

/** What a seal line needs (src/seal/seal-types.ts Seal). */
export interface SealLineInput {
  readonly site: string;
  readonly day: string;
  readonly version: number;
  readonly fromMs: number;
  readonly readings: number;
  readonly statuses: number;
  readonly meters: readonly unknown[];
  readonly sealedAtMs: number;
  readonly digest: string;
  readonly prev: string | null;
  readonly amends: string | null;
  readonly keyId: string;
  readonly signature: string;
}

/** A seal's header in InfluxDB: each version its own point (the version in the ns digits), never overwritten. */
export function sealLine(s: SealLineInput): string {
  const fields = [
    `day=${escStr(s.day)}`,
    `version=${s.version}i`,
    `readings=${s.readings}i`,
    `statuses=${s.statuses}i`,
    `meters=${s.meters.length}i`,
    `sealed_at=${s.sealedAtMs}i`,
    `digest=${escStr(s.digest)}`,
    `prev=${escStr(s.prev ?? 'none')}`,
    `amends=${escStr(s.amends ?? 'none')}`,
    `key_id=${escStr(s.keyId)}`,
    `signature=${escStr(s.signature)}`,
  ];
  return `${MEASUREMENT.seal},site=${escTag(s.site)} ${fields.join(',')} ${s.fromMs}${String(s.version % 1_000_000).padStart(6, '0')}`;
}
