import { parse as parseYaml } from 'yaml';
import { devicesFileSchema } from '../../../src/formats/device-schema.ts';
import { loadRegistry } from '../../../src/registry/load.ts';
import { resolveDevices } from '../../../src/registry/resolve-devices.ts';
import type { Registry } from '../../../src/registry/types.ts';
import { DEVICES_DIR } from '../../helpers/service.ts';

/** The example registry plus devices.yaml given as text (validated like the real file). */
export function registryWithDevices(yaml: string): Registry {
  const base = loadRegistry(DEVICES_DIR);
  const file = devicesFileSchema.parse(parseYaml(yaml));
  const r = resolveDevices(file.devices, file.mappings, new Set(base.meters.map((m) => m.id)), 'devices.yaml');
  if (r.problems.length) throw new Error(r.problems.join('\n'));
  return { ...base, devices: r.devices };
}

/** One device of each format over the example meters. */
export const DEVICES_YAML = `
devices:
  - topic: tasmota_5C1A2B
    format: tasmota
    meters: [{ meter: ekb-1-m05 }]
  - topic: tasmota_DUALR3
    format: tasmota
    meters: [{ meter: ekb-1-m06, channel: 1 }, { meter: ekb-1-m07, channel: 2 }]
  - topic: shellyproem50-08f9e0e67204
    format: shelly-gen2
    meters: [{ meter: kpg-2-m01, channel: 'em1data:1' }]
  - topic: shellypro3em-a8032ab12345
    format: shelly-gen2
    meters: [{ meter: kpg-2-m02, channel: 'emdata:0' }, { meter: kpg-2-m03, channel: 'emdata:0.b' }]
  - topic: site/ast/shellyplus1pm-441793a1b2c3
    format: shelly-gen2
    meters: [{ meter: ast-3-m01, channel: 'switch:0' }]
  - topic: gw01
    format: mapped
    mapping: acme-gw
    meters: [{ meter: ast-3-m02, channel: '1' }, { meter: ekb-1-m04, channel: '2' }]
mappings:
  - id: acme-gw
    topic: acme/{device}/meter/{channel}
    register: /energy/import
    unit: kWh
    unitPointer: /energy/unit
    powerW: /power_w
    timestamp: { pointer: /time, form: epoch-s }
    status:
      topic: acme/{device}/state
      pointer: /state
      online: [UP, online]
      offline: [DOWN, offline]
      timestamp: { pointer: /ts, form: epoch-ms }
`;
