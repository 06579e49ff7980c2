/**
 * The seals of one installation, built from its config: the signing keys, the store, the sealer. Shared by the
 * service (src/service/seals.ts) and the CLI (`kzmeter seal`, `verify`, `evidence`).
 */
import type { Logger } from 'pino';
import { loadSigningKeys, signerOf, signingKeyOptions, type SigningKeys } from '../auth/signing-keys.ts';
import type { Config } from '../config/schema.ts';
import type { Registry } from '../registry/types.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import type { Signer } from '../util/ed25519.ts';
import { createFileSealStore, type SealStore } from './seal-store.ts';
import { createSealer, type Sealer } from './sealer.ts';

export interface Sealing {
  readonly keys: SigningKeys;
  readonly signer: Signer;
  readonly store: SealStore;
  readonly sealer: Sealer;
  /** Key id -> raw public key (base64), every key the installation ever had. */
  readonly publicKeys: ReadonlyMap<string, string>;
}

export { signingKeyOptions } from '../auth/signing-keys.ts';

export function createSealing(
  config: Config,
  registry: Registry,
  target: InfluxTarget,
  write: (lines: readonly string[]) => Promise<void>,
  log?: Logger,
): Sealing {
  const opts = signingKeyOptions(config);
  const keys = loadSigningKeys(opts);
  const signer = signerOf(opts);
  const store = createFileSealStore(config.dataDir);
  const sealer = createSealer({
    registry,
    target,
    store,
    signer,
    write,
    metersPerRequest: config.seal.metersPerRequest,
    ...(log && { log }),
  });
  return { keys, signer, store, sealer, publicKeys: new Map(keys.keys.map((k) => [k.id, k.publicKey])) };
}

export type { Seal } from './seal-types.ts';
export type { SealStore } from './seal-store.ts';
export type { Sealer } from './sealer.ts';
