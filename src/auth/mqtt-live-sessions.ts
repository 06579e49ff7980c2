import type { Client } from 'aedes';

/**
 * The identities' live connections, for the per-identity bound (F4) and for ids held live but not recorded. aedes
 * marks a closed client `closed`; closed ones are dropped lazily when their identity connects again, so what is
 * kept is bounded by the identities times their bound.
 */
export function createLiveSessions() {
  const byIdentity = new Map<string, Set<Client>>();
  const byId = new Map<string, { identity: string; client: Client }>();
  const isClosed = (c: Client) => (c as unknown as { closed?: boolean }).closed === true;
  function prune(identity: string): Set<Client> {
    const set = byIdentity.get(identity) ?? new Set<Client>();
    for (const c of set)
      if (isClosed(c)) {
        set.delete(c);
        if (byId.get(c.id)?.client === c) byId.delete(c.id);
      }
    byIdentity.set(identity, set);
    return set;
  }
  return {
    /** Live connections of `identity`, but for one with `clientId`: the new one replaces it (MQTT-3.1.4-2). */
    count(identity: string, clientId: string): number {
      let n = 0;
      for (const c of prune(identity)) if (c.id !== clientId) n++;
      return n;
    },
    add(identity: string, client: Client): void {
      prune(identity).add(client);
      byId.set(client.id, { identity, client });
    },
    liveOwner(clientId: string): string | undefined {
      const e = byId.get(clientId);
      return e && !isClosed(e.client) ? e.identity : undefined;
    },
  };
}
