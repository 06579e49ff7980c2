/** A registry directory written from YAML texts into a temp dir, for tests that need their own sites and meters. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRegistry } from '../../src/registry/load.ts';
import type { Registry } from '../../src/registry/types.ts';

export interface RegistryTexts {
  readonly taxpayers: string;
  readonly sites: string;
  readonly meters: string;
  readonly rigs?: string;
  readonly prices?: string;
}

const dirs: string[] = [];

export function writeRegistryDir(texts: RegistryTexts): string {
  const dir = mkdtempSync(join(tmpdir(), 'kzm-reg-'));
  dirs.push(dir);
  for (const [kind, text] of Object.entries(texts))
    if (text !== undefined) writeFileSync(join(dir, `${kind}.yaml`), text);
  return dir;
}

export function registryOf(texts: RegistryTexts): Registry {
  return loadRegistry(writeRegistryDir(texts));
}

/** Removes every directory written so far (call from afterAll). */
export function removeRegistryDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Two licensed miners (valid BINs) for test registries. */
export const TAXPAYERS_YAML = `taxpayers:
  - { bin: "940140000385", name: Dala Hash LLP, licenceSubtype: I }
  - { bin: "990140004654", name: Steppe Compute LLP, licenceSubtype: II }
`;
