import mqtt, { type MqttClient } from 'mqtt';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { EventuallyTimeoutError, eventually } from './eventually.ts';
import { queryRows } from './service.ts';

/**
 * Meters publishing QoS 1 readings at a steady rate through whatever happens to the service: each meter is an
 * mqtt.js client with a fixed id and a persistent session, so what was not acknowledged is sent again after a
 * reconnect. Counts what was sent and what was acknowledged (PUBACK), reading by reading.
 */
export interface MeterLoad {
  readonly sent: () => number;
  readonly acked: () => ReadonlySet<string>;
  /** When each acknowledgement arrived (Date.now()), in order: a drill measures stalls and time to resume. */
  readonly ackTimesMs: () => readonly number[];
  /** Stop publishing new readings. */
  stop(): void;
  /** Wait until every sent reading is acknowledged (true) or time runs out (false). */
  allAcked(timeoutMs: number): Promise<boolean>;
  /** Wait until `n` more readings are acknowledged than now: acknowledgements flow (an error if not in time). */
  ackedMore(n: number, timeoutMs?: number): Promise<void>;
  end(): Promise<void>;
}

const BASE_MS = Math.floor((Date.now() - 2 * 86_400_000) / 60_000) * 60_000;
export const readingKey = (meter: string, tsMs: number) => `${meter}/${tsMs}`;

export async function startMeterLoad(
  brokerUrl: string,
  meters: readonly string[],
  ratePerS: number,
  maxUnacked = 2000,
): Promise<MeterLoad> {
  const acked = new Set<string>();
  const ackTimesMs: number[] = [];
  let sent = 0;
  let stopped = false;
  const clients: MqttClient[] = [];
  const unacked = new Map<MqttClient, number>();
  for (const m of meters) {
    const c = await mqtt.connectAsync(brokerUrl, {
      clientId: `drill-${m}`,
      clean: false,
      reconnectPeriod: 250,
      connectTimeout: 5000,
    });
    c.on('error', () => {});
    clients.push(c);
    unacked.set(c, 0);
  }
  const seq = new Map(meters.map((m) => [m, 0]));
  const perTick = Math.max(1, Math.round((ratePerS * 50) / 1000 / meters.length));
  const timer = setInterval(() => {
    if (stopped) return;
    meters.forEach((m, i) => {
      const c = clients[i]!;
      for (let k = 0; k < perTick && unacked.get(c)! < maxUnacked; k++) {
        const n = seq.get(m)!;
        seq.set(m, n + 1);
        const tsMs = BASE_MS + n * 1000;
        const payload = JSON.stringify({ ts: tsMs, kwh: (1_000_000 + n) / 1000 });
        sent++;
        unacked.set(c, unacked.get(c)! + 1);
        c.publish(`meters/${m}/reading`, payload, { qos: 1 }, (err) => {
          if (err) return; // mqtt.js keeps it in its store and sends it again
          unacked.set(c, unacked.get(c)! - 1);
          acked.add(readingKey(m, tsMs));
          ackTimesMs.push(Date.now());
        });
      }
    });
  }, 50);
  return {
    sent: () => sent,
    acked: () => acked,
    ackTimesMs: () => ackTimesMs,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    async allAcked(timeoutMs) {
      try {
        await eventually(
          () => acked.size,
          (n) => n >= sent,
          timeoutMs,
          'every sent reading acknowledged',
        );
        return true;
      } catch (err) {
        if (err instanceof EventuallyTimeoutError) return false; // the caller says so with the service's log
        throw err;
      }
    },
    async ackedMore(n, timeoutMs = 30_000) {
      const base = acked.size;
      await eventually(
        () => acked.size,
        (k) => k >= base + n,
        timeoutMs,
        `${n} more readings acknowledged than ${base}`,
      );
    },
    async end() {
      clearInterval(timer);
      await Promise.all(clients.map((c) => c.endAsync(true)));
    },
  };
}

/** Every reading stored for these meters, as keys (meter/tsMs). */
export async function storedKeys(target: InfluxTarget, meters: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const m of meters) {
    const rows = await queryRows(target, `SELECT "wh" FROM "reading" WHERE "meter" = '${m}'`);
    for (const r of rows) out.add(readingKey(m, Number(r.time)));
  }
  return out;
}

/** The drill's figures: sent, acknowledged, stored, acknowledged but not stored. */
export function tally(sent: number, acked: ReadonlySet<string>, stored: ReadonlySet<string>) {
  let lost = 0;
  for (const k of acked) if (!stored.has(k)) lost++;
  return { sent, acked: acked.size, stored: stored.size, lost };
}
