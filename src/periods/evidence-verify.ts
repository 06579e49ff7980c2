/**
 * `kzmeter verify-evidence`: an evidence package checked from its bytes alone (no service, no InfluxDB, no data
 * dir, no registry): the manifest's signature with the key it names (from keys.json, or required with --key),
 * every file's SHA-256 against the manifest, no file outside it, every seal's digest and signature, and the
 * snapshot's own digest. The first problem names its file.
 */
import { createHash } from 'node:crypto';
import { unzipSync } from 'fflate';
import { z } from 'zod';
import { checkSeal } from '../seal/seal-check.ts';
import { sealSchema } from '../seal/seal-types.ts';
import { verifyEd25519 } from '../util/ed25519.ts';
import { digestMatches } from './build-snapshot.ts';
import { KEYS_FILE, MANIFEST, MANIFEST_SIG } from './evidence.ts';
import type { PeriodSnapshot } from './snapshot-types.ts';

export const EVIDENCE_MESSAGES = {
  notZip: (why: string) => `not a readable zip (${why})`,
  missing: 'missing from the package',
  badJson: 'not the expected JSON',
  wrongKey: (got: string, want: string) => `signed by key ${got}, not the expected ${want}`,
  unknownKey: (id: string) => `names key ${id}, which keys.json does not hold`,
  badSignature: (id: string) =>
    `its signature (manifest.sig) does not verify with key ${id}: the manifest, its signature or the key was changed`,
  digest: 'its SHA-256 differs from the manifest: the file was changed',
  unlisted: 'not listed in the signed manifest: added to the package',
  snapshot: "the snapshot's content does not match its digest",
  auditLine: (line: number) => `line ${line}: its Ed25519 signature does not verify with the key it names`,
  ok: (files: number, seals: number, keyId: string) =>
    `evidence package intact: ${files} files, ${seals} seals; every digest and signature holds (key ${keyId})`,
} as const;
const M = EVIDENCE_MESSAGES;

export type EvidenceCheck =
  { ok: true; files: number; seals: number; keyId: string } | { ok: false; file: string; reason: string };

const manifestSchema = z.looseObject({
  files: z.array(z.strictObject({ name: z.string(), sha256: z.string(), bytes: z.number() })),
  snapshotDigest: z.string(),
});
const sigSchema = z.strictObject({ keyId: z.string(), signature: z.string() });
const keysSchema = z.looseObject({ keys: z.array(z.looseObject({ keyId: z.string(), publicKey: z.string() })) });

const parse = <T extends z.ZodType>(bytes: Uint8Array | undefined, schema: T): z.infer<T> | undefined => {
  if (!bytes) return undefined;
  try {
    const r = schema.safeParse(JSON.parse(Buffer.from(bytes).toString('utf8')));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
};
const fail = (file: string, reason: string): EvidenceCheck => ({ ok: false, file, reason });

export function verifyEvidence(zip: Uint8Array, opts: { keyId?: string } = {}): EvidenceCheck {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip);
  } catch (err) {
    return fail('(zip)', M.notZip((err as Error).message));
  }
  for (const f of [MANIFEST, MANIFEST_SIG, KEYS_FILE]) if (!files[f]) return fail(f, M.missing);
  const sig = parse(files[MANIFEST_SIG], sigSchema);
  if (!sig) return fail(MANIFEST_SIG, M.badJson);
  if (opts.keyId && sig.keyId !== opts.keyId) return fail(MANIFEST_SIG, M.wrongKey(sig.keyId, opts.keyId));
  const keys = parse(files[KEYS_FILE], keysSchema);
  if (!keys) return fail(KEYS_FILE, M.badJson);
  const key = keys.keys.find((k) => k.keyId === sig.keyId);
  if (!key) return fail(MANIFEST_SIG, M.unknownKey(sig.keyId));
  if (!verifyEd25519(key.publicKey, files[MANIFEST]!, sig.signature)) return fail(MANIFEST, M.badSignature(sig.keyId));
  const manifest = parse(files[MANIFEST], manifestSchema);
  if (!manifest) return fail(MANIFEST, M.badJson);
  const listed = new Set(manifest.files.map((f) => f.name));
  for (const name of Object.keys(files))
    if (name !== MANIFEST && name !== MANIFEST_SIG && !listed.has(name)) return fail(name, M.unlisted);
  for (const f of manifest.files) {
    const bytes = files[f.name];
    if (!bytes) return fail(f.name, M.missing);
    if (createHash('sha256').update(bytes).digest('hex') !== f.sha256) return fail(f.name, M.digest);
  }
  // Each seal on its own too: the signed manifest proves the package, the seal's signature the day.
  const publicKeys = new Map(keys.keys.map((k) => [k.keyId, k.publicKey] as const));
  let seals = 0;
  for (const name of Object.keys(files).filter((n) => n.startsWith('seals/'))) {
    const seal = parse(files[name], sealSchema);
    if (!seal) return fail(name, M.badJson);
    const problem = checkSeal(seal, publicKeys);
    if (problem) return fail(name, problem);
    seals++;
  }
  const audit = auditProblem(files['audit.jsonl'], publicKeys);
  if (audit) return fail('audit.jsonl', audit);
  const snapshot = parse(files['snapshot.json'], z.looseObject({ digest: z.string() }));
  if (files['snapshot.json'] && (!snapshot || !digestMatches(snapshot as unknown as PeriodSnapshot)))
    return fail('snapshot.json', M.snapshot);
  return { ok: true, files: manifest.files.length, seals, keyId: sig.keyId };
}

/** Each signed audit line's signature over its hash (lines written before issue 24 carry none). */
function auditProblem(bytes: Uint8Array | undefined, keys: ReadonlyMap<string, string>): string | undefined {
  if (!bytes) return undefined;
  const lines = Buffer.from(bytes).toString('utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.trim()) continue;
    let e: { hash?: unknown; sig?: { keyId?: unknown; signature?: unknown } };
    try {
      e = JSON.parse(lines[i]!) as typeof e;
    } catch {
      return M.auditLine(i + 1);
    }
    if (!e.sig) continue;
    const key = typeof e.sig.keyId === 'string' ? keys.get(e.sig.keyId) : undefined;
    if (!key || typeof e.hash !== 'string' || typeof e.sig.signature !== 'string') return M.auditLine(i + 1);
    if (!verifyEd25519(key, e.hash, e.sig.signature)) return M.auditLine(i + 1);
  }
  return undefined;
}
