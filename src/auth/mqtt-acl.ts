import type { MqttIdentity } from './mqtt-credentials.ts';
import type { DeviceTopics } from '../formats/device-topics.ts';

/**
 * Who may do what on the broker (pure; architecture principle 10). A meter publishes only under
 * `meters/<its id>/`, a gateway under its meters' and its own `gateways/<id>/`, a monitor reads everything
 * and publishes nothing. `lab` is the explicit `mqtt.allowAnonymous` mode: everything but `$SYS`.
 */
export type Principal = { readonly kind: 'lab' } | MqttIdentity;

export type DenyReason =
  | 'reserved-topic'
  | 'not-own-topic'
  | 'read-only'
  | 'will-not-own'
  | 'subscribe-not-own'
  | 'credential-changed'
  | 'no-identity'
  | 'not-status'
  | 'too-large'
  | 'rejected';

export type Decision = { readonly ok: true } | { readonly ok: false; readonly reason: DenyReason };

/**
 * The registry's vendor-format devices (Tasmota, Shelly, mapped gateways) publish on their own topics: which
 * meters a topic carries, and whether it is the device's availability (will) topic. Handed in by the service
 * (src/formats/device-topics.ts), so this file stays pure.
 */
export type { DeviceTopics };

/** A device topic owned when every meter it carries is the identity's. */
function ownsDevice(p: MqttIdentity, topic: string, devices: DeviceTopics | undefined, will: boolean): boolean {
  const d = devices?.(topic);
  if (!d || d.meters.length === 0 || (will && !d.status)) return false;
  return d.meters.every((m) => p.meters.has(m));
}

const OK: Decision = { ok: true };
const deny = (reason: DenyReason): Decision => ({ ok: false, reason });

/** `meters/<id>/rest`: the meter id when the topic is under a meter's own tree. */
function meterOf(levels: readonly string[]): string | undefined {
  return levels.length >= 3 && levels[0] === 'meters' ? levels[1] : undefined;
}

function owns(p: MqttIdentity, levels: readonly string[]): boolean {
  const meter = meterOf(levels);
  if (meter !== undefined && p.meters.has(meter)) return true;
  return p.kind === 'gateway' && levels.length >= 3 && levels[0] === 'gateways' && levels[1] === p.id;
}

export function canPublish(p: Principal, topic: string, devices?: DeviceTopics): Decision {
  if (topic.startsWith('$')) return deny('reserved-topic');
  if (p.kind === 'lab') return OK;
  if (p.kind === 'monitor') return deny('read-only');
  return owns(p, topic.split('/')) || ownsDevice(p, topic, devices, false) ? OK : deny('not-own-topic');
}

/** A last will only on a status topic the identity owns: its meter's, its gateway's, or one of its meters'. */
export function canWill(p: Principal, topic: string, devices?: DeviceTopics): Decision {
  if (topic.startsWith('$')) return deny('reserved-topic');
  if (p.kind === 'lab') return OK;
  if (p.kind === 'monitor') return deny('read-only');
  if (ownsDevice(p, topic, devices, true)) return OK;
  const levels = topic.split('/');
  if (levels.length !== 3 || levels[2] !== 'status') return deny('will-not-own');
  return owns(p, levels) ? OK : deny('will-not-own');
}

/** A status topic of the contract: `meters/<id>/status`, or a registered device's availability topic. */
function isStatusTopic(topic: string, devices: DeviceTopics | undefined): boolean {
  const levels = topic.split('/');
  if (levels.length === 3 && levels[0] === 'meters' && levels[2] === 'status') return true;
  return devices?.(topic)?.status === true;
}

/**
 * A retained message is kept only where the contract needs one (issue 21, F2): a status, on a status topic the
 * identity owns, of at most `maxBytes`, that ingest stored as a status (`accepted`): a rejected payload is never
 * retained, so never replayed. An empty one clears the identity's own status. Everything else is still delivered
 * live and ingested, without the retain. Per identity that is at most one retained message per status topic it owns.
 */
export function canRetain(
  p: Principal,
  topic: string,
  bytes: number,
  opts: { maxBytes: number; accepted: boolean; devices?: DeviceTopics | undefined },
): Decision {
  if (!isStatusTopic(topic, opts.devices) || !canWill(p, topic, opts.devices).ok) return deny('not-status');
  if (bytes === 0) return OK;
  if (bytes > opts.maxBytes) return deny('too-large');
  return opts.accepted ? OK : deny('rejected');
}

/**
 * A subscription filter is allowed when every topic it can match is the identity's own: the first two
 * levels must be literal (`meters/<own id>/#`), so `#`, `meters/+/reading` or `meters/#` are refused.
 */
export function canSubscribe(p: Principal, filter: string): Decision {
  if (p.kind === 'lab' || p.kind === 'monitor') return OK;
  const levels = filter.split('/');
  if (levels.length < 3 || levels[0]!.includes('+') || levels[0]!.includes('#')) return deny('subscribe-not-own');
  if (levels[1]!.includes('+') || levels[1]!.includes('#')) return deny('subscribe-not-own');
  return owns(p, levels) ? OK : deny('subscribe-not-own');
}

/** Whom a client id belongs to: the service's own session, a registered meter, or an identity. */
export type ClientIdOwner =
  | { readonly kind: 'service' }
  | { readonly kind: 'meter'; readonly meterId: string }
  | { readonly kind: 'identity'; readonly identityId: string };

/**
 * A session belongs to the identity that made it (issue 21, F1): a client id owned by someone else would take
 * over, resume or wipe their session. A meter's id is its own and its gateways'; the service's ids are no one's;
 * a free id (owner undefined) may be used and then belongs to its first user. Lab mode (anonymous) is not bound.
 */
export function clientIdAllowed(p: Principal, owner: ClientIdOwner | undefined): boolean {
  if (p.kind === 'lab' || owner === undefined) return true;
  if (owner.kind === 'service') return false;
  if (owner.kind === 'meter') return p.meters.has(owner.meterId);
  return owner.identityId === p.id;
}
