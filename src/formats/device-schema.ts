/**
 * devices.yaml: which physical device (a Tasmota plug, a Shelly energy meter, a Modbus/DLMS gateway) feeds
 * which meter, in which payload format, and declarative mappings for gateways that publish their own JSON.
 * See devices/README.md and README "Connecting real meters".
 */
import { z } from 'zod';
import { DEVICE_FORMATS } from './table.ts';

export type { DeviceFormat } from './table.ts';
export const ENERGY_UNITS = ['Wh', 'kWh', 'MWh'] as const;
export type EnergyUnit = (typeof ENERGY_UNITS)[number];
export const TIMESTAMP_FORMS = ['iso', 'epoch-s', 'epoch-ms', 'local', 'arrival'] as const;
export type TimestampForm = (typeof TIMESTAMP_FORMS)[number];

/** A topic level or levels the device publishes under; MQTT wildcards are not topics. */
const topicId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^#+\s$][^#+\s]*$/, 'a topic id without spaces, "+" or "#", not starting with "$"')
  .refine((s) => !s.startsWith('/') && !s.endsWith('/'), 'no leading or trailing "/"');

/** RFC 6901 JSON pointer ("" = the whole document); "{channel}" is replaced by the meter's channel. */
const jsonPointer = z.string().regex(/^(\/[^/]*)*$/, 'a JSON pointer such as /energy/import_kwh');

const timestampSpec = z.strictObject({
  /** Where the time is in the payload; not used with form "arrival". */
  pointer: jsonPointer.optional(),
  /** iso: ISO-8601 with offset; epoch-s / epoch-ms; local: wall time without offset in the site's zone; arrival. */
  form: z.enum(TIMESTAMP_FORMS),
});

/** Topic pattern with {device} (required) and optionally {channel}, each one topic level. */
const topicPattern = z
  .string()
  .min(1)
  .max(300)
  .refine((s) => s.includes('{device}'), 'must contain {device}')
  .refine((s) => !/[#+]/.test(s), 'no MQTT wildcards: use {device} and {channel}');

const stateValues = z.array(z.union([z.string().min(1), z.boolean(), z.number()])).min(1);

export const mappingSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, "-" or "_"'),
  /** Topic the gateway publishes readings on, e.g. acme/{device}/meter/{channel}. */
  topic: topicPattern,
  /** The cumulative import register (a number, or a numeric string). */
  register: jsonPointer,
  unit: z.enum(ENERGY_UNITS),
  /** Optional: where the payload states its unit; a value other than Wh/kWh/MWh is rejected as wrong-unit. */
  unitPointer: jsonPointer.optional(),
  timestamp: timestampSpec,
  /** Optional instantaneous power in W. */
  powerW: jsonPointer.optional(),
  status: z
    .strictObject({
      topic: topicPattern,
      /** Where the state is; absent = the whole payload. */
      pointer: jsonPointer.optional(),
      /** Values meaning online / offline, matched case-insensitively. */
      online: stateValues.default(['online']),
      offline: stateValues.default(['offline']),
      timestamp: timestampSpec.default({ form: 'arrival' }),
    })
    .optional(),
});

const channel = z.union([z.string().min(1).max(64), z.number().int().min(0).max(1_000_000)]);

export const deviceSchema = z.strictObject({
  /** Tasmota: its %topic%; Shelly: its MQTT topic prefix (default the device id); mapped: the {device} level. */
  topic: topicId,
  format: z.enum(DEVICE_FORMATS),
  /** mapped only: the id of an entry in `mappings`. */
  mapping: z.string().optional(),
  /** tasmota only: its FullTopic (default %prefix%/%topic%/). */
  fullTopic: z.string().min(1).max(200).optional(),
  /** The meters this device feeds (a 3-phase meter or a multi-channel gateway feeds several). */
  meters: z
    .array(
      z.strictObject({
        meter: z.string(),
        /** tasmota: 1-based index into array values (absent = the sum); shelly-gen2: component such as
         *  em1data:0, emdata:0 (total) or emdata:0.a (phase), switch:0, pm1:0; mapped: the {channel} value. */
        channel: channel.optional(),
      }),
    )
    .min(1),
});

export const devicesFileSchema = z.strictObject({
  devices: z.array(deviceSchema),
  mappings: z.array(mappingSchema).default([]),
});

export type DeviceInput = z.infer<typeof deviceSchema>;
export type MappingInput = z.infer<typeof mappingSchema>;
