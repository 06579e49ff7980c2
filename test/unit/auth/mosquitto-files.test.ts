import { describe, expect, it } from 'vitest';
import { mosquittoFiles } from '../../../src/auth/mosquitto-files.ts';
import type { IdentityRecord } from '../../../src/auth/mqtt-credentials.ts';
import type { Device } from '../../../src/registry/types.ts';

const rec = (r: Partial<IdentityRecord> & Pick<IdentityRecord, 'id' | 'kind'>): IdentityRecord =>
  ({ hash: 'x', mosquittoHash: '$7$101$c2FsdA==$aGFzaA==', issuedAt: '2026-11-01T00:00:00Z', ...r }) as IdentityRecord;

const devices: Device[] = [
  { topic: 'plug-7', format: 'tasmota', meters: [{ meterId: 'm1' }] },
  { topic: 'shellypro3em-a1', format: 'shelly-gen2', meters: [{ meterId: 'm2', channel: 'emdata:0' }] },
  {
    topic: 'gw-9',
    format: 'mapped',
    mapping: { id: 'modbus', topic: 'modbus/{device}/{channel}/data', status: { topic: 'modbus/{device}/state' } },
    meters: [
      { meterId: 'm2', channel: '1' },
      { meterId: 'm3', channel: '2' },
    ],
  } as unknown as Device,
];

describe("Mosquitto ACL from the identities and the registry's devices", () => {
  it('a meter may use its own topics and those of the vendor devices that feed it, and no other device', () => {
    const { acl } = mosquittoFiles([rec({ id: 'm1', kind: 'meter' })], 'creds.yaml', devices);
    const block = acl.split('user m1\n')[1]!.split('\n\n')[0]!.split('\n');
    expect(block).toEqual([
      'topic write meters/m1/#',
      'topic read meters/m1/#',
      'topic write +/plug-7/#',
      'topic read +/plug-7/#',
    ]);
  });

  it('a gateway gets every device of its meters (Shelly prefix, mapped gateway with its channel level and status)', () => {
    const { acl } = mosquittoFiles([rec({ id: 'gw', kind: 'gateway', meters: ['m2', 'm3'] })], 'creds.yaml', devices);
    const block = acl.split('user gw\n')[1]!.split('\n\n')[0]!;
    for (const t of [
      'meters/m2/#',
      'meters/m3/#',
      'gateways/gw/#',
      'shellypro3em-a1/#',
      'modbus/gw-9/+/data',
      'modbus/gw-9/state',
    ])
      expect(block).toContain(`topic write ${t}\n`);
    expect(block).not.toContain('plug-7');
    expect(block.match(/topic write modbus\/gw-9\/\+\/data/g)).toHaveLength(1); // once, though it feeds two meters
  });

  it('without devices the ACL is the meters own topics only', () => {
    const { acl } = mosquittoFiles([rec({ id: 'm1', kind: 'meter' })], 'creds.yaml');
    expect(acl).not.toContain('plug-7');
    expect(acl).toContain('topic write meters/m1/#');
  });
});
