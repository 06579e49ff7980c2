/**
 * Decode microbench: payloads per second through each format's decoder (pure, no I/O), and the end-to-end
 * ratio of the service ingesting through a mapped gateway vs our own JSON, in the same run (embedded aedes,
 * local influxd). Issue 13's target: mapped within 10% of our JSON end to end.
 */
import { decodeMessage } from '../src/ingest/decode.ts';
import { devicesFileSchema } from '../src/formats/device-schema.ts';
import { loadRegistry } from '../src/registry/load.ts';
import { resolveDevices } from '../src/registry/resolve-devices.ts';
import type { Registry } from '../src/registry/types.ts';
import { startInflux } from '../test/helpers/influx.ts';
import { DEVICES_DIR, eventually, queryRows, startService } from '../test/helpers/service.ts';
import { publishReadings } from './lib.ts';

const T0 = Date.UTC(2025, 6, 1);
const MAPPING = {
  id: 'bench-gw',
  topic: 'bench/{device}/{channel}',
  register: '/e/import',
  unit: 'kWh',
  timestamp: { pointer: '/t', form: 'epoch-ms' },
  powerW: '/p',
};

function benchRegistry(): { registry: Registry; meters: string[] } {
  const base = loadRegistry(DEVICES_DIR);
  const meters = base.meters.filter((m) => m.commissionedMs <= T0).map((m) => m.id);
  const file = devicesFileSchema.parse({
    devices: [
      { topic: 'plug1', format: 'tasmota', meters: [{ meter: meters[0] }] },
      { topic: 'shellypro3em-bench', format: 'shelly-gen2', meters: [{ meter: meters[1], channel: 'emdata:0' }] },
      {
        topic: 'gw1',
        format: 'mapped',
        mapping: 'bench-gw',
        meters: meters.slice(2).map((m) => ({ meter: m, channel: m })),
      },
    ],
    mappings: [MAPPING],
  });
  const r = resolveDevices(file.devices, file.mappings, new Set(meters), 'devices.yaml');
  if (r.problems.length) throw new Error(r.problems.join('\n'));
  return { registry: { ...base, devices: r.devices }, meters };
}

const mappedMessage = (meter: string, k: number) => ({
  topic: `bench/gw1/${meter}`,
  payload: JSON.stringify({ t: T0 + k * 1000, e: { import: (1_000_000 + k * 55) / 1000 }, p: 198_500 }),
});

function decodeRates(registry: Registry, meters: string[], n: number): Record<string, number> {
  const ctx = { registry, nowMs: T0 + 86_400_000, maxPayloadBytes: 256 * 1024, maxFutureSkewMs: 300_000 };
  const samples: Record<string, (k: number) => { topic: string; payload: string }> = {
    ours: (k) => ({
      topic: `meters/${meters[2]}/reading`,
      payload: JSON.stringify({ ts: T0 + k * 1000, kwh: (1_000_000 + k * 55) / 1000, kw: 198.5 }),
    }),
    tasmota: (k) => ({
      topic: 'tele/plug1/SENSOR',
      payload: JSON.stringify({
        Time: new Date(T0 + 5 * 3_600_000 + k * 1000).toISOString().slice(0, 19),
        ENERGY: {
          TotalStartTime: '2024-01-01T00:00:00',
          Total: (1_000_000 + k * 55) / 1000,
          Power: 198_500,
          Voltage: 230,
        },
      }),
    }),
    'shelly-gen2': (k) => ({
      topic: 'shellypro3em-bench/events/rpc',
      payload: JSON.stringify({
        src: 'shellypro3em-bench',
        method: 'NotifyStatus',
        params: { ts: (T0 + k * 1000) / 1000, 'emdata:0': { id: 0, total_act: 1_000_000 + k * 55, total_act_ret: 0 } },
      }),
    }),
    mapped: (k) => mappedMessage(meters[2]!, k),
  };
  const out: Record<string, number> = {};
  for (const [name, make] of Object.entries(samples)) {
    const msgs = Array.from({ length: 1000 }, (_, k) => {
      const m = make(k);
      return { topic: m.topic, payload: Buffer.from(m.payload) };
    });
    for (let i = 0; i < 2000; i++) decodeMessage(msgs[i % 1000]!.topic, msgs[i % 1000]!.payload, ctx); // warm up
    const t = performance.now();
    let readings = 0;
    for (let i = 0; i < n; i++)
      readings += decodeMessage(msgs[i % 1000]!.topic, msgs[i % 1000]!.payload, ctx).readings.length;
    if (readings !== n) throw new Error(`${name}: ${readings} readings decoded from ${n} payloads`);
    out[name] = Math.round(n / ((performance.now() - t) / 1000));
  }
  return out;
}

async function endToEnd(registry: Registry, meters: string[], n: number) {
  const influx = await startInflux();
  try {
    const rate = async (message?: typeof mappedMessage) => {
      const svc = await startService(await influx.database(), {}, registry);
      try {
        const started = performance.now();
        await publishReadings(svc.brokerUrl, {
          meters: meters.slice(2),
          total: n,
          connections: 4,
          window: 500,
          t0Ms: T0,
          ...(message && { message }),
        });
        await eventually(
          async () => ((await queryRows(svc.influx, 'SELECT count(wh) AS n FROM reading'))[0]?.n as number) ?? 0,
          (c) => c >= n,
          120_000,
        );
        return n / ((performance.now() - started) / 1000);
      } finally {
        await svc.cleanup();
      }
    };
    // Interleaved rounds, each a pair run back to back; the median pair ratio resists a noisy neighbour.
    const pairs: { ours: number; mapped: number }[] = [];
    for (let round = 0; round < 3; round++) pairs.push({ ours: await rate(), mapped: await rate(mappedMessage) });
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return {
      oursMsgsPerS: Math.round(median(pairs.map((p) => p.ours))),
      mappedMsgsPerS: Math.round(median(pairs.map((p) => p.mapped))),
      mappedVsOurs: +median(pairs.map((p) => p.mapped / p.ours)).toFixed(3),
      pairRatios: pairs.map((p) => +(p.mapped / p.ours).toFixed(3)),
    };
  } finally {
    await influx.stop();
  }
}

export async function benchDecode(decodeN = 200_000, e2eN = 30_000) {
  const { registry, meters } = benchRegistry();
  return {
    decodePayloadsPerS: decodeRates(registry, meters, decodeN),
    endToEnd: { readings: e2eN, ...(await endToEnd(registry, meters, e2eN)) },
  };
}
