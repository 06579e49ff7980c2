import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';

export const RESULTS_DIR = '.bench-results';

export function saveResult(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}

export const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** Publish `total` QoS 1 readings spread over `meters` meters from `connections` clients, at most `window` unacked each. */
export async function publishReadings(
  url: string,
  opts: {
    meters: string[];
    total: number;
    connections: number;
    window: number;
    t0Ms: number;
    /** The k-th reading of a meter as topic + payload; default our JSON on meters/{id}/reading. */
    message?: (meter: string, k: number) => { topic: string; payload: string };
    /** A gateway identity for every meter (authentication on); none = anonymous (lab). */
    auth?: { username: string; password: string };
  },
): Promise<number> {
  const clients: MqttClient[] = await Promise.all(
    Array.from({ length: opts.connections }, (_, i) =>
      mqtt.connectAsync(url, { clientId: `bench-pub-${i}-${process.pid}`, ...opts.auth }),
    ),
  );
  const started = performance.now();
  let next = 0;
  await Promise.all(
    clients.map(async (c) => {
      const inflight = new Set<Promise<unknown>>();
      for (;;) {
        const i = next++;
        if (i >= opts.total) break;
        const meter = opts.meters[i % opts.meters.length]!;
        const k = Math.floor(i / opts.meters.length);
        const m = opts.message?.(meter, k) ?? {
          topic: `meters/${meter}/reading`,
          payload: JSON.stringify({ ts: opts.t0Ms + k * 1000, kwh: (1_000_000 + k * 55) / 1000, kw: 198.5 }),
        };
        const p = c.publishAsync(m.topic, m.payload, { qos: 1 });
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
        if (inflight.size >= opts.window) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    }),
  );
  const s = (performance.now() - started) / 1000;
  await Promise.all(clients.map((c) => c.endAsync()));
  return s;
}
