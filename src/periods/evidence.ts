/**
 * The evidence package of a closed period and taxpayer (issue 24): one zip an accountant hands to an inspector.
 * Files stored uncompressed (a changed byte stays in its file, so the verifier can name it) with a fixed
 * timestamp and sorted names, so the same content makes the same bytes. manifest.json lists every other
 * file's SHA-256 and size; manifest.sig is the Ed25519 signature of manifest.json's exact bytes.
 * zip: fflate (no dependencies, maintained, sync API with per-file mtime; yazl needs streams and yauzl a
 * file descriptor, which the offline verifier would have to fake for a buffer).
 */
import { createHash } from 'node:crypto';
import { zipSync } from 'fflate';
import type { Signer } from '../util/ed25519.ts';
import { evidenceReadme } from './evidence-readme.ts';

export interface EvidenceFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** More files for the package (e.g. the supplier's reconciliation): the hook the lead wires. */
export type ExtraEvidenceFiles = (period: string, taxpayer: string | null) => Promise<EvidenceFile[]>;

export const EVIDENCE_FORMAT = 'kzmeter-evidence/1';
export const MANIFEST = 'manifest.json';
export const MANIFEST_SIG = 'manifest.sig';
export const KEYS_FILE = 'keys.json';

export interface EvidenceManifest {
  readonly format: typeof EVIDENCE_FORMAT;
  readonly period: string;
  readonly taxpayer: string | null;
  readonly snapshotVersion: number;
  readonly snapshotDigest: string;
  readonly keyId: string;
  readonly files: readonly { name: string; sha256: string; bytes: number }[];
}

/** 1980-01-01T00:00 local in the zip's DOS time: the earliest a zip can say, the same for every package. */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
export const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

export function buildEvidenceZip(input: {
  period: string;
  taxpayer: string | null;
  snapshotVersion: number;
  snapshotDigest: string;
  files: readonly EvidenceFile[];
  signer: Signer;
}): Uint8Array {
  const files = [
    { name: 'README.txt', bytes: utf8(evidenceReadme(input.period, input.taxpayer, input.signer.keyId)) },
    ...input.files,
  ].sort((a, b) => (a.name < b.name ? -1 : 1));
  const manifest: EvidenceManifest = {
    format: EVIDENCE_FORMAT,
    period: input.period,
    taxpayer: input.taxpayer,
    snapshotVersion: input.snapshotVersion,
    snapshotDigest: input.snapshotDigest,
    keyId: input.signer.keyId,
    files: files.map((f) => ({ name: f.name, sha256: sha256(f.bytes), bytes: f.bytes.byteLength })),
  };
  const manifestBytes = utf8(`${JSON.stringify(manifest, null, 2)}\n`);
  const sig = input.signer.sign(manifestBytes);
  const all = [
    ...files,
    { name: MANIFEST, bytes: manifestBytes },
    { name: MANIFEST_SIG, bytes: utf8(`${JSON.stringify(sig)}\n`) },
  ];
  return zipSync(Object.fromEntries(all.map((f) => [f.name, [f.bytes, { level: 0, mtime: FIXED_MTIME }]])), {
    level: 0,
    mtime: FIXED_MTIME,
  });
}
