/**
 * A seal checked on its own (no InfluxDB): its digest recomputed from its content, its signature against the
 * public key it names. Used by `kzmeter verify` and by `kzmeter verify-evidence` (which has only the package).
 */
import { verifyEd25519 } from '../util/ed25519.ts';
import { sealDigest } from './canonical.ts';
import { SEAL_MESSAGES as M } from './messages.ts';
import type { Seal } from './seal-types.ts';

/** The problem with a seal, or undefined; `publicKeys`: key id -> raw public key (base64). */
export function checkSeal(seal: Seal, publicKeys: ReadonlyMap<string, string>): string | undefined {
  if (sealDigest(seal, seal.meters) !== seal.digest) return M.digest(seal.site, seal.day, seal.version);
  const key = publicKeys.get(seal.keyId);
  if (!key) return M.unknownKey(seal.site, seal.day, seal.version, seal.keyId);
  if (!verifyEd25519(key, seal.digest, seal.signature))
    return M.signature(seal.site, seal.day, seal.version, seal.keyId);
  return undefined;
}

/**
 * Chain problems of a site's seals (every version of every day): walked from the first (prev none), each must
 * be named by exactly one next seal; a seal the walk does not reach, or two seals naming one, break the chain.
 */
export function chainProblems(seals: readonly Pick<Seal, 'site' | 'day' | 'version' | 'digest' | 'prev'>[]): string[] {
  const byPrev = new Map<string, (typeof seals)[number][]>();
  for (const s of seals) byPrev.set(s.prev ?? 'none', [...(byPrev.get(s.prev ?? 'none') ?? []), s]);
  const reached = new Set<string>();
  const out: string[] = [];
  let at = 'none';
  for (;;) {
    const next = byPrev.get(at) ?? [];
    if (next.length > 1) for (const s of next.slice(1)) out.push(M.chain(s.site, s.day, s.version));
    const s = next[0];
    if (!s || reached.has(s.digest)) break;
    reached.add(s.digest);
    at = s.digest;
  }
  for (const s of seals)
    if (!reached.has(s.digest) && !out.includes(M.chain(s.site, s.day, s.version)))
      out.push(M.chain(s.site, s.day, s.version));
  return out;
}
