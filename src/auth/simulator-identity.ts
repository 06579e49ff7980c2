import type { Registry } from '../registry/types.ts';
import type { MqttIdentity } from './mqtt-credentials.ts';
import { generateSecret, hashSecret } from './secret-hash.ts';

export const SIMULATOR_IDENTITY_ID = 'kzm-simulator';

/**
 * The identity `serve --simulate` gives its in-process simulator: a gateway for every meter of the registry,
 * with a fresh secret each start, never written anywhere (the quick start needs no set-up).
 */
export async function simulatorIdentity(registry: Registry): Promise<{ identity: MqttIdentity; secret: string }> {
  const secret = generateSecret();
  const identity: MqttIdentity = {
    id: SIMULATOR_IDENTITY_ID,
    kind: 'gateway',
    meters: new Set(registry.meters.map((m) => m.id)),
    hash: await hashSecret(secret),
  };
  return { identity, secret };
}
