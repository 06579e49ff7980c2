/** What every format hands its decoded readings and statuses to: the common acceptance rules and the tally. */
import type { AcceptedReading, AcceptedStatus } from '../model/reading.ts';
import type { EnergyUnit } from './device-schema.ts';
import { createTally, type RejectionTally } from './tally.ts';
import type { FormatMeter as Meter, FormatRegistry } from './types.ts';

export interface DecodeContext {
  readonly registry: FormatRegistry;
  readonly nowMs: number;
  readonly maxPayloadBytes: number;
  readonly maxFutureSkewMs: number;
  /** The meter's previous reading in arrival order, to catch a unit-factor jump; absent = no check. */
  readonly lastReading?: (meterId: string) => PreviousReading | undefined;
}

export interface PreviousReading {
  readonly tsMs: number;
  readonly registerWh: number;
}

export interface Collector {
  readonly ctx: DecodeContext;
  readonly readings: AcceptedReading[];
  readonly statuses: AcceptedStatus[];
  readonly tally: RejectionTally;
  /**
   * Last reading accepted per meter within this message (a batch is checked reading by reading). Most messages
   * carry one meter: its last is kept in the three fields, a Map only for a second meter (no object per reading).
   */
  lastMeterId: string | undefined;
  lastTsMs: number;
  lastWh: number;
  last: Map<string, PreviousReading> | undefined;
}

export const createCollector = (ctx: DecodeContext): Collector => ({
  ctx,
  readings: [],
  statuses: [],
  tally: createTally(),
  lastMeterId: undefined,
  lastTsMs: 0,
  lastWh: 0,
  last: undefined,
});

/** The reading accepted last for `meterId` in this message, if any. */
function lastInMessage(c: Collector, meterId: string): PreviousReading | undefined {
  if (c.lastMeterId === meterId) return { tsMs: c.lastTsMs, registerWh: c.lastWh };
  return c.last?.get(meterId);
}

function setLastInMessage(c: Collector, meterId: string, tsMs: number, registerWh: number): void {
  if (c.lastMeterId === undefined || c.lastMeterId === meterId) {
    c.lastMeterId = meterId;
    c.lastTsMs = tsMs;
    c.lastWh = registerWh;
  } else (c.last ??= new Map()).set(meterId, { tsMs, registerWh });
}

const iso = (ms: number) => new Date(ms).toISOString();
const UNIT_WH: Record<EnergyUnit, number> = { Wh: 1, kWh: 1000, MWh: 1_000_000 };
const MAX_WH = 1e15;

/** A register value in `unit` as integer Wh; registers report at most 3 decimals of their unit (float noise rounded). */
export function toWh(value: unknown, unit: EnergyUnit): { ok: true; wh: number } | { ok: false; detail: string } {
  const n = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n))
    return { ok: false, detail: `register ${JSON.stringify(value)?.slice(0, 40) ?? 'missing'} is not a number` };
  if (n < 0) return { ok: false, detail: `register ${n} ${unit} is negative` };
  const wh = Math.round(n * UNIT_WH[unit]);
  if (wh > MAX_WH) return { ok: false, detail: `register ${n} ${unit} is implausibly large` };
  return { ok: true, wh };
}

/**
 * Whether `wh` at `tsMs` can follow `prev` on a working register: not backwards (less `slackWh` of rounding), and
 * growing at most twice the meter's max load over the time between them (either way round in time).
 */
function continues(prev: PreviousReading, tsMs: number, wh: number, slackWh: number, maxLoadW: number): boolean {
  const growthWh = (2 * maxLoadW * Math.abs(tsMs - prev.tsMs)) / 3_600_000;
  const later = tsMs >= prev.tsMs;
  const lo = prev.registerWh - slackWh - (later ? 0 : growthWh);
  const hi = prev.registerWh + slackWh + (later ? growthWh : 0);
  return wh >= lo && wh <= hi;
}

/**
 * Wh sent as kWh (or the reverse), and only when certain (issue 22): the value as sent does not continue the
 * meter's previous reading, and the value rescaled by 1000 does, within its max load. A reset (meter replaced:
 * 118,472.5 kWh, then 112.5 kWh) continues nothing and is stored: the ledger handles it. Both sides at least 1 kWh.
 */
function unitJump(prev: PreviousReading | undefined, tsMs: number, wh: number, maxLoadW: number): boolean {
  if (prev === undefined || prev.registerWh < 1000 || wh < 1000) return false;
  if (continues(prev, tsMs, wh, 0, maxLoadW)) return false;
  // Wh sent as kWh: the sent number was Wh, exact; kWh sent where Wh is read: rounded to whole kWh-as-Wh.
  return continues(prev, tsMs, wh / 1000, 1, maxLoadW) || continues(prev, tsMs, wh * 1000, 1000, maxLoadW);
}

const maxLoadWOf = (meter: Meter): number => meter.maxLoad.reduce((m, p) => Math.max(m, p.maxLoadW), 0);

/** The rules every format shares: not ahead of the clock, inside the meter's service life, no unit-factor jump. */
export function acceptReading(
  c: Collector,
  meter: Meter,
  r: { readonly tsMs: number; readonly registerWh: number; readonly status: 'ok' | 'fault' },
  kw: number | undefined,
  where = '',
): void {
  const { ctx } = c;
  const meterId = meter.id;
  if (r.tsMs > ctx.nowMs + ctx.maxFutureSkewMs)
    return c.tally.add(
      'future-timestamp',
      meterId,
      () =>
        `${where}ts ${iso(r.tsMs)} is ahead of server time ${iso(ctx.nowMs)} by more than ${ctx.maxFutureSkewMs / 1000} s`,
    );
  if (r.tsMs < meter.commissionedMs)
    return c.tally.add(
      'before-commissioning',
      meterId,
      () => `${where}ts ${iso(r.tsMs)} is before the meter was commissioned (${iso(meter.commissionedMs)})`,
    );
  // The reading at the decommissioning instant is the meter's removal reading: it closes the last interval.
  const decommissionedMs = meter.decommissionedMs;
  if (decommissionedMs !== undefined && r.tsMs > decommissionedMs)
    return c.tally.add(
      'after-decommissioning',
      meterId,
      () => `${where}ts ${iso(r.tsMs)} is after the meter was decommissioned (${iso(decommissionedMs)})`,
    );
  const last = lastInMessage(c, meterId) ?? ctx.lastReading?.(meterId);
  if (unitJump(last, r.tsMs, r.registerWh, maxLoadWOf(meter)))
    return c.tally.add(
      'unit-jump',
      meterId,
      () =>
        `${where}register ${r.registerWh} Wh is 1000x away from the previous one (${last?.registerWh} Wh at ${iso(last!.tsMs)}) and continues it rescaled: Wh sent as kWh or the reverse?`,
    );
  setLastInMessage(c, meterId, r.tsMs, r.registerWh);
  const { siteId } = meter;
  const { tsMs, registerWh, status } = r;
  c.readings.push(
    kw === undefined
      ? { meterId, siteId, tsMs, registerWh, status }
      : { meterId, siteId, tsMs, registerWh, status, kw },
  );
}

/** A status for a meter; a device time ahead of the clock is refused like a reading's. */
export function acceptStatus(c: Collector, meter: Meter, state: 'online' | 'offline', tsMs?: number): void {
  if (tsMs !== undefined && tsMs > c.ctx.nowMs + c.ctx.maxFutureSkewMs)
    return c.tally.add('future-timestamp', meter.id, () => `status ts ${iso(tsMs)} is ahead of server time`);
  c.statuses.push({ meterId: meter.id, siteId: meter.siteId, state, ...(tsMs !== undefined && { tsMs }) });
}

/**
 * How deep a payload's JSON may nest. A meter's or gateway's payload is a few levels deep (a Shelly notification
 * 4); JSON.parse takes any depth, but what walks the result recursively (JSON.stringify of a value for a message,
 * zod) overflows the stack from a few thousand levels (issue 22: 5,000 `[` in 10 KB). Bounded here, once, before
 * parsing, every walk after it is bounded too.
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The first nesting level past `max` in JSON text (brackets inside strings do not count); undefined when none. One pass, no recursion. */
export function depthOver(text: string, max: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === BACKSLASH) i++;
      else if (ch === QUOTE) inString = false;
    } else if (ch === QUOTE) inString = true;
    else if (ch === OPEN_BRACKET || ch === OPEN_BRACE) {
      if (++depth > max) return depth;
    } else if (ch === CLOSE_BRACKET || ch === CLOSE_BRACE) depth--;
  }
  return undefined;
}

export type ParsedJson =
  | { readonly ok: true; readonly doc: unknown }
  | { readonly ok: false; readonly reason: 'invalid-json' | 'too-deep'; readonly detail: string };

/** JSON.parse that reports instead of throwing, and refuses nesting past MAX_JSON_DEPTH before it parses. */
export function parseJson(text: string): ParsedJson {
  // JSON nested deeper than MAX_JSON_DEPTH takes more than twice that many characters: a short payload (most
  // readings) cannot, and is not scanned (issue 27).
  if (text.length > 2 * MAX_JSON_DEPTH && depthOver(text, MAX_JSON_DEPTH) !== undefined)
    return { ok: false, reason: 'too-deep', detail: `JSON nests deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    return { ok: true, doc: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: 'invalid-json', detail: (err as Error).message.slice(0, 200) };
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A reading or an array of them (a gateway's batch): calls `each` for every element that is a JSON object, with
 * its place for messages (`[i] ` in a batch). An empty array, and each element that is not an object, are
 * tallied against `meterId`, cheaply: a 256 KiB array of numbers must not cost a zod error object per element.
 */
export function forEachReadingObject(
  c: Collector,
  meterId: string,
  doc: unknown,
  each: (item: Record<string, unknown>, where: string) => void,
): void {
  const batch = Array.isArray(doc);
  const items: unknown[] = batch ? doc : [doc];
  if (items.length === 0) return c.tally.add('empty-batch', meterId, 'an empty array carries no reading');
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const where = batch ? `[${i}] ` : '';
    if (isObject(item)) each(item, where);
    else
      c.tally.add(
        'schema',
        meterId,
        () => `${where}a reading is a JSON object, got ${JSON.stringify(item).slice(0, 40)}`,
      );
  }
}
