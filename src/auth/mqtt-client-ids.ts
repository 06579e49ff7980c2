import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { writeFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../util/json-file.ts';
import { KzmError } from '../util/errors.ts';

/**
 * Which identity each MQTT client id belongs to, recorded the first time an identity connects with it and kept in
 * the data dir, so that no other identity can take over, resume or wipe that client's session, now or after a
 * restart (issue 21, F1). Firmware ids (Tasmota `DVES_5C1A2B`, a Shelly's device id, mosquitto_pub's `mosq-...`)
 * keep working: the first identity to use one owns it. Declared ids (credentials.yaml `clientIds`) and reserved
 * ids are decided before this table (src/auth/mqtt-auth.ts).
 *
 * Bounded: an identity keeps its `perIdentity` most recently used ids (clients that pick a random id on every
 * connect would otherwise grow the file for ever); an older one is forgotten, which frees it for anyone. Only an
 * identity's own new ids push its old ones out, so no other identity can free them.
 */
export interface ClientIdBindings {
  /** The identity that owns `clientId`, if any. */
  ownerOf(clientId: string): string | undefined;
  /** Record (or refresh) `clientId` as `identityId`'s; the file is rewritten soon after. */
  bind(identityId: string, clientId: string): void;
  /** Ids recorded in all. */
  size(): number;
  /** Wait for the last change to be on disk. */
  flush(): Promise<void>;
}

export class ClientIdBindingsError extends KzmError {
  constructor(message: string) {
    super(message, { code: 'client-id-bindings-invalid' });
  }
}

export const DEFAULT_IDS_PER_IDENTITY = 64;

const fileSchema = z.strictObject({
  /** identity id -> its client ids, least recently used first. */
  identities: z.record(z.string().min(1).max(64), z.array(z.string().min(1).max(256)).max(10_000)),
});

function read(file: string): Map<string, string[]> {
  const doc = readJsonFile(file, fileSchema, (m) => new ClientIdBindingsError(m));
  return new Map(Object.entries(doc?.identities ?? {}));
}

/**
 * Load the table (a missing file is an empty one; an invalid file throws ClientIdBindingsError naming the entry,
 * so the service refuses to start rather than forget whose sessions are whose). Changes are written atomically,
 * coalesced: one write at a time, the next one carries every change made meanwhile.
 */
export function loadClientIdBindings(opts: {
  file: string;
  perIdentity?: number;
  onWriteError?: (err: Error) => void;
}): ClientIdBindings {
  const perIdentity = opts.perIdentity ?? DEFAULT_IDS_PER_IDENTITY;
  const byIdentity = read(opts.file);
  const owner = new Map<string, string>();
  for (const [identity, ids] of byIdentity) for (const id of ids) if (!owner.has(id)) owner.set(id, identity);
  let dirty = false;
  let writing: Promise<void> | undefined;

  const snapshot = () => JSON.stringify({ identities: Object.fromEntries(byIdentity) }, null, 1);
  async function writeLoop(): Promise<void> {
    while (dirty) {
      dirty = false;
      const tmp = `${opts.file}.${process.pid}.tmp`;
      try {
        await writeFile(tmp, snapshot(), { mode: 0o600 });
        await rename(tmp, opts.file);
      } catch (err) {
        opts.onWriteError?.(err as Error);
      }
    }
  }
  const schedule = () => {
    dirty = true;
    writing ??= writeLoop().finally(() => (writing = undefined));
  };
  mkdirSync(dirname(opts.file), { recursive: true });
  if (byIdentity.size === 0) {
    // Create it now: a data dir that cannot be written fails at start, not at a meter's first connect.
    writeFileSync(`${opts.file}.${process.pid}.tmp`, snapshot(), { mode: 0o600 });
    renameSync(`${opts.file}.${process.pid}.tmp`, opts.file);
  }

  return {
    ownerOf: (clientId) => owner.get(clientId),
    bind(identityId, clientId) {
      const ids = byIdentity.get(identityId) ?? [];
      const at = ids.indexOf(clientId);
      if (at === ids.length - 1 && at >= 0) return; // already the most recent: nothing to write
      if (at >= 0) ids.splice(at, 1);
      ids.push(clientId);
      while (ids.length > perIdentity) owner.delete(ids.shift()!);
      byIdentity.set(identityId, ids);
      owner.set(clientId, identityId);
      schedule();
    },
    size: () => owner.size,
    async flush() {
      while (writing) await writing;
    },
  };
}
