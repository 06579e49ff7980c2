/**
 * Collects what the simulator knows while a run goes: true energy per meter
 * and local month (from the physics), the readings actually published per
 * topic meter, and when links dropped. In memory; pure data in, data out.
 */
import type { EnergySink } from '../meter-stream.ts';
import type { SimMessage } from '../message.ts';
import { localDateOf, zonedMidnightMs, addMonths } from '../../src/fees/zoned-time.ts';

export interface ReadingColumns {
  tsMs: number[];
  registerWh: number[];
  fault: number[];
}

interface MonthAcc {
  label: string;
  fromMs: number;
  toMs: number;
  joules: number;
  hashSum: number;
  hashN: number;
}

export interface MeterAcc {
  readonly months: Map<string, MonthAcc>;
  cur?: MonthAcc;
  readonly readings: ReadingColumns;
  /** Readings other meters' clients published on this meter's topic (wrong-topic). */
  readonly foreign: ReadingColumns;
  /** Instants the meter's link dropped without DISCONNECT (the broker publishes the will). */
  readonly dropsMs: number[];
  /** Offline times a gateway forwarded in a timestamped status: stored where they happened, whatever the clock. */
  readonly timedDropsMs: number[];
  lastTickMs: number;
  messages: number;
}

const columns = (): ReadingColumns => ({ tsMs: [], registerWh: [], fault: [] });

export interface TruthCollector extends EnergySink {
  onSent(msg: SimMessage): void;
  readonly meters: ReadonlyMap<string, MeterAcc>;
}

export function createTruthCollector(meterZones: ReadonlyMap<string, string>): TruthCollector {
  const meters = new Map<string, MeterAcc>();
  const acc = (id: string): MeterAcc => {
    let a = meters.get(id);
    if (!a) {
      a = {
        months: new Map(),
        readings: columns(),
        foreign: columns(),
        dropsMs: [],
        timedDropsMs: [],
        lastTickMs: -Infinity,
        messages: 0,
      };
      meters.set(id, a);
    }
    return a;
  };
  const monthOf = (a: MeterAcc, meterId: string, t: number): MonthAcc => {
    if (a.cur && t >= a.cur.fromMs && t < a.cur.toMs) return a.cur;
    const tz = meterZones.get(meterId) ?? 'Asia/Almaty';
    const d = localDateOf(t, tz);
    const first = { year: d.year, month: d.month, day: 1 };
    const label = `${d.year}-${String(d.month).padStart(2, '0')}`;
    let m = a.months.get(label);
    if (!m) {
      m = {
        label,
        fromMs: zonedMidnightMs(first, tz),
        toMs: zonedMidnightMs(addMonths(first, 1), tz),
        joules: 0,
        hashSum: 0,
        hashN: 0,
      };
      a.months.set(label, m);
    }
    a.cur = m;
    return m;
  };
  return {
    meters,
    onEnergy(meterId, fromMs, toMs, joules) {
      const a = acc(meterId);
      let m = monthOf(a, meterId, fromMs);
      if (toMs <= m.toMs) {
        m.joules += joules;
        return;
      }
      // A step across a month boundary (live runs not aligned to midnight): split in proportion.
      const part = Math.round((joules * (m.toMs - fromMs)) / (toMs - fromMs));
      m.joules += part;
      m = monthOf(a, meterId, m.toMs);
      m.joules += joules - part;
    },
    onHashrate(meterId, tMs, ths) {
      const a = acc(meterId);
      const m = monthOf(a, meterId, tMs - 1);
      m.hashSum += ths;
      m.hashN++;
      a.lastTickMs = Math.max(a.lastTickMs, tMs);
    },
    onSent(msg) {
      if (msg.type === 'drop') {
        acc(msg.meterId).dropsMs.push(msg.atMs);
        return;
      }
      if (msg.type !== 'publish') return;
      acc(msg.meterId).messages++;
      if (msg.offlineAtMs !== undefined) acc(msg.meterId).timedDropsMs.push(msg.offlineAtMs);
      if (!msg.readings) return;
      const topicMeter = /^meters\/([^/]+)\//.exec(msg.topic)?.[1] ?? msg.meterId;
      const target = msg.kind === 'wrong-topic' ? acc(topicMeter).foreign : acc(topicMeter).readings;
      for (const r of msg.readings) {
        target.tsMs.push(r.tsMs);
        target.registerWh.push(r.registerWh);
        target.fault.push(r.status === 'fault' ? 1 : 0);
      }
    },
  };
}
