/** Online/offline from what devices send: "online"/"Offline" (any case), Shelly's true/false, or configured values. */
export type LinkState = 'online' | 'offline';

const norm = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v.trim().toLowerCase()
    : typeof v === 'boolean' || typeof v === 'number'
      ? String(v)
      : undefined;

export function parseState(
  value: unknown,
  online: readonly (string | boolean | number)[] = ['online'],
  offline: readonly (string | boolean | number)[] = ['offline'],
): LinkState | undefined {
  const v = norm(value);
  if (v === undefined) return undefined;
  if (online.some((o) => norm(o) === v)) return 'online';
  if (offline.some((o) => norm(o) === v)) return 'offline';
  return undefined;
}
