/**
 * How a simulated meter speaks on MQTT when the scenario gives it a device format (scenario `formats`):
 * our JSON (default), a Tasmota energy monitor, a Shelly Gen2+ EM, or a Modbus gateway through the `mapped`
 * format. Pure: (meter, reading) -> (topic, payload). `simDevices` is the devices.yaml the service needs
 * to read them (the runner writes it next to the ground truth).
 */
import type { DeviceInput, MappingInput } from '../src/formats/device-schema.ts';
import { isoWithOffset } from './local-time.ts';
import { readingTopic, statusTopic } from './message.ts';

export const SIM_FORMATS = ['native', 'tasmota', 'shelly-gen2', 'mapped'] as const;
export type SimFormat = (typeof SIM_FORMATS)[number];

export interface SimReadingOut {
  readonly tsMs: number;
  /** Simulated instant as formatted by the scenario's tsFormat (our JSON only). */
  readonly ts: string | number;
  readonly wh: number;
  readonly kw: number | undefined;
  readonly status: 'ok' | 'fault';
}

export interface Encoder {
  readonly format: SimFormat;
  /** Whether a reading's fault flag reaches the service (vendor formats have none). */
  readonly carriesFault: boolean;
  /** Whether a status can carry its own time: an outage is then forwarded after the fact, not a dropped link. */
  readonly timedStatus: boolean;
  reading(r: SimReadingOut): { topic: string; payload: string };
  /** A buffered flush: one array message where the format allows it, else one message per reading. */
  flush(rs: readonly SimReadingOut[]): { topic: string; payload: string }[];
  status(state: 'online' | 'offline', atMs?: number): { topic: string; payload: string };
  /** The outage window a gateway forwards once back: offline at `fromMs`, online at `toMs`. */
  forwardedOutage(fromMs: number, toMs: number): { topic: string; payload: string };
  /** The connection's last will. */
  readonly will: { topic: string; payload: string };
  readonly readingTopic: string;
}

export const SIM_GATEWAY = 'simgw';
export const simDeviceTopic = (format: SimFormat, meterId: string): string =>
  format === 'tasmota' ? `sim_${meterId}` : format === 'shelly-gen2' ? `sim-shelly-${meterId}` : SIM_GATEWAY;

/** The mapping the simulated gateway uses (epoch-s times, kWh register, per-channel status with time). */
export const SIM_MAPPING: MappingInput = {
  id: 'sim-gateway',
  topic: 'simgw/{device}/{channel}/data',
  register: '/energy/import_kwh',
  unit: 'kWh',
  unitPointer: '/energy/unit',
  powerW: '/p_w',
  timestamp: { pointer: '/t', form: 'epoch-s' },
  status: {
    topic: 'simgw/{device}/{channel}/link',
    pointer: '/link',
    online: ['UP'],
    offline: ['DOWN'],
    timestamp: { pointer: '/t', form: 'epoch-s' },
  },
};

const localWall = (ms: number, tz: string) => isoWithOffset(ms, tz).slice(0, 19);
const kwh = (wh: number) => wh / 1000;

function tasmotaEncoder(dev: string, timeZone: string): Encoder {
  const topic = `tele/${dev}/SENSOR`;
  const reading = (r: SimReadingOut) => ({
    topic,
    payload: JSON.stringify({
      Time: localWall(r.tsMs, timeZone),
      ENERGY: {
        TotalStartTime: '2024-01-01T00:00:00',
        Total: kwh(r.wh),
        ...(r.kw !== undefined && { Power: Math.round(r.kw * 1000) }),
      },
    }),
  });
  const lwt = (state: 'online' | 'offline') => ({
    topic: `tele/${dev}/LWT`,
    payload: state === 'online' ? 'Online' : 'Offline',
  });
  return {
    format: 'tasmota',
    carriesFault: false,
    timedStatus: false,
    reading,
    flush: (rs) => rs.map(reading),
    status: lwt,
    forwardedOutage: () => lwt('online'),
    will: lwt('offline'),
    readingTopic: topic,
  };
}

function shellyEncoder(dev: string): Encoder {
  const topic = `${dev}/events/rpc`;
  const reading = (r: SimReadingOut) => ({
    topic,
    payload: JSON.stringify({
      src: dev,
      dst: `${dev}/events`,
      method: 'NotifyStatus',
      params: { ts: r.tsMs / 1000, 'em1data:0': { id: 0, total_act_energy: r.wh, total_act_ret_energy: 0 } },
    }),
  });
  const online = (state: 'online' | 'offline') => ({ topic: `${dev}/online`, payload: String(state === 'online') });
  return {
    format: 'shelly-gen2',
    carriesFault: false,
    timedStatus: false,
    reading,
    flush: (rs) => rs.map(reading),
    status: online,
    forwardedOutage: () => online('online'),
    will: online('offline'),
    readingTopic: topic,
  };
}

function mappedEncoder(dev: string, meterId: string): Encoder {
  const topic = `simgw/${dev}/${meterId}/data`;
  const link = `simgw/${dev}/${meterId}/link`;
  const body = (r: SimReadingOut) => ({
    t: r.tsMs / 1000,
    energy: { import_kwh: kwh(r.wh), unit: 'kWh' },
    ...(r.kw !== undefined && { p_w: Math.round(r.kw * 1000) }),
  });
  const status = (state: 'online' | 'offline', atMs?: number) => ({
    topic: link,
    payload: JSON.stringify({ link: state === 'online' ? 'UP' : 'DOWN', t: (atMs ?? 0) / 1000 }),
  });
  return {
    format: 'mapped',
    carriesFault: false,
    timedStatus: true,
    reading: (r) => ({ topic, payload: JSON.stringify(body(r)) }),
    flush: (rs) => [{ topic, payload: JSON.stringify(rs.map(body)) }],
    status,
    forwardedOutage: (fromMs, toMs) => ({
      topic: link,
      payload: JSON.stringify([
        { link: 'DOWN', t: fromMs / 1000 },
        { link: 'UP', t: toMs / 1000 },
      ]),
    }),
    // The gateway's own connection will; a meter behind it never drops the gateway's link.
    will: { topic: `simgw/${dev}/status`, payload: 'offline' },
    readingTopic: topic,
  };
}

function nativeEncoder(meterId: string): Encoder {
  const body = (r: SimReadingOut) => ({
    ts: r.ts,
    kwh: kwh(r.wh),
    ...(r.kw !== undefined && { kw: r.kw }),
    ...(r.status === 'fault' && { status: r.status }),
  });
  return {
    format: 'native',
    carriesFault: true,
    timedStatus: false,
    reading: (r) => ({ topic: readingTopic(meterId), payload: JSON.stringify(body(r)) }),
    flush: (rs) => [{ topic: readingTopic(meterId), payload: JSON.stringify(rs.map(body)) }],
    status: (state) => ({ topic: statusTopic(meterId), payload: state }),
    forwardedOutage: () => ({ topic: statusTopic(meterId), payload: 'online' }),
    will: { topic: statusTopic(meterId), payload: 'offline' },
    readingTopic: readingTopic(meterId),
  };
}

export function encoderFor(format: SimFormat, meterId: string, timeZone: string): Encoder {
  const dev = simDeviceTopic(format, meterId);
  if (format === 'tasmota') return tasmotaEncoder(dev, timeZone);
  if (format === 'shelly-gen2') return shellyEncoder(dev);
  if (format === 'mapped') return mappedEncoder(dev, meterId);
  return nativeEncoder(meterId);
}

/** devices.yaml content for the meters of a plan that speak a device format. */
export function simDevices(formats: Readonly<Record<string, SimFormat>>): {
  devices: DeviceInput[];
  mappings: MappingInput[];
} {
  const devices: DeviceInput[] = [];
  const gateway: DeviceInput['meters'] = [];
  for (const [meterId, format] of Object.entries(formats)) {
    if (format === 'tasmota')
      devices.push({ topic: simDeviceTopic(format, meterId), format, meters: [{ meter: meterId }] });
    if (format === 'shelly-gen2')
      devices.push({
        topic: simDeviceTopic(format, meterId),
        format,
        meters: [{ meter: meterId, channel: 'em1data:0' }],
      });
    if (format === 'mapped') gateway.push({ meter: meterId, channel: meterId });
  }
  if (gateway.length) devices.push({ topic: SIM_GATEWAY, format: 'mapped', mapping: SIM_MAPPING.id, meters: gateway });
  return { devices, mappings: gateway.length ? [SIM_MAPPING] : [] };
}
