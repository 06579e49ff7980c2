import type { Device, FormatMeter as Meter, FormatRegistry as Registry } from './types.ts';

/** The registered meters a device feeds (with their channel), skipping none: resolve checked them at load. */
export function targetsOf(
  registry: Registry,
  device: Device,
  channel?: string,
): { meter: Meter; channel: string | undefined }[] {
  const out: { meter: Meter; channel: string | undefined }[] = [];
  for (const t of device.meters) {
    if (channel !== undefined && t.channel !== channel) continue;
    const meter = registry.meterById.get(t.meterId);
    if (meter) out.push({ meter, channel: t.channel });
  }
  return out;
}
