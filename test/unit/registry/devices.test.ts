import { describe, expect, it } from 'vitest';
import { mkdtempSync, cpSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRegistry, RegistryError } from '../../../src/registry/load.ts';
import { DEVICES_DIR } from '../../helpers/service.ts';

function withDevicesFile(yaml: string): () => unknown {
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'kzm-reg-'));
    try {
      cpSync(DEVICES_DIR, dir, { recursive: true });
      writeFileSync(join(dir, 'devices.yaml'), yaml);
      return loadRegistry(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('devices.yaml', () => {
  it('is optional, and a valid one resolves each device to its meters and mapping', () => {
    expect(loadRegistry(DEVICES_DIR).devices).toBeUndefined();
    const r = withDevicesFile(`
devices:
  - { topic: tasmota_1, format: tasmota, meters: [{ meter: ekb-1-m05 }] }
  - { topic: gw1, format: mapped, mapping: m, meters: [{ meter: ekb-1-m06, channel: 3 }] }
mappings:
  - { id: m, topic: 'g/{device}/{channel}', register: /e, unit: Wh, timestamp: { form: arrival } }
`)() as ReturnType<typeof loadRegistry>;
    expect(r.devices).toEqual([
      { topic: 'tasmota_1', format: 'tasmota', fullTopic: '%prefix%/%topic%/', meters: [{ meterId: 'ekb-1-m05' }] },
      expect.objectContaining({ topic: 'gw1', format: 'mapped', meters: [{ meterId: 'ekb-1-m06', channel: '3' }] }),
    ]);
  });

  it('names every problem with file, entry and field', () => {
    const load = withDevicesFile(`
devices:
  - { topic: sh1, format: shelly-gen2, meters: [{ meter: no-such-meter, channel: 'em:0' }] }
  - { topic: gw1, format: mapped, mapping: nope, meters: [{ meter: ekb-1-m06 }] }
  - { topic: t1, format: tasmota, meters: [{ meter: ekb-1-m06, channel: 2 }] }
`);
    let err: RegistryError | undefined;
    try {
      load();
    } catch (e) {
      err = e as RegistryError;
    }
    expect(err).toBeInstanceOf(RegistryError);
    const text = err!.problems.join('\n');
    expect(text).toMatch(/devices\[0\] \(topic "sh1"\) field "meters\[0\]\.meter": no meter with id "no-such-meter"/);
    expect(text).toMatch(/devices\[0\].*"meters\[0\]\.channel": "em:0" is not a Shelly energy component/);
    expect(text).toMatch(/devices\[1\].*field "mapping": no mapping with id "nope"/);
    expect(text).toMatch(/devices\[2\].*meter "ekb-1-m06" is already fed by another device channel/);
    // schema problems are reported before cross-file checks
    expect(() =>
      withDevicesFile(`devices: [{ topic: 'bad/+', format: tasmota, meters: [{ meter: ekb-1-m07 }] }]`)(),
    ).toThrow(/devices\[0\] \(topic "bad\/\+"\) field "topic": a topic id without spaces/);
  });
});
