/** A copy of the example registry (devices/) with one file edited, and the problems the loader reports. */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { loadRegistry, RegistryError } from '../../../src/registry/load.ts';
import { DEVICES_DIR } from '../../helpers/service.ts';

const copies: string[] = [];

export function brokenCopy(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kzm-reg-'));
  copies.push(dir);
  cpSync(DEVICES_DIR, dir, { recursive: true });
  const path = join(dir, file);
  writeFileSync(path, edit(existsSync(path) ? readFileSync(path, 'utf8') : ''));
  return dir;
}

/** The RegistryError message of a registry that must be refused. */
export function errorOf(dir: string): string {
  try {
    loadRegistry(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryError);
    return (err as Error).message;
  }
  throw new Error('registry loaded although it is broken');
}

/** Removes every copy made so far (call from afterAll). */
export function removeCopies(): void {
  for (const d of copies.splice(0)) rmSync(d, { recursive: true, force: true });
}
