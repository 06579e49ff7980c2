/**
 * The device formats, one record each (src/formats/types.ts DeviceFormatSpec). Adding a format: write its
 * file (schema checks, topics, decoder, ACL) and its tests, and add one line here.
 */
import { mapped } from './mapped.ts';
import { shellyGen2 } from './shelly-gen2.ts';
import { tasmota } from './tasmota.ts';
import type { DeviceFormatSpec } from './types.ts';

export const FORMATS = {
  tasmota,
  'shelly-gen2': shellyGen2,
  mapped,
} as const satisfies Record<string, DeviceFormatSpec>;

export type DeviceFormat = keyof typeof FORMATS;
export const DEVICE_FORMATS = Object.keys(FORMATS) as [DeviceFormat, ...DeviceFormat[]];

export const formatSpec = (format: DeviceFormat): DeviceFormatSpec => FORMATS[format];
