/**
 * Issue 26: `npm ci` warned that cookie@2.0.2 and content-disposition@3.1.0 need Node >= 22 while `engines` says
 * >= 20.19 and the quick start says Node 20. Every package the lockfile installs must accept the oldest Node
 * the project supports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[]; dev?: boolean }>;
};

describe('Node versions agree', () => {
  it('every package of the lockfile accepts the oldest Node of engines (20.19)', () => {
    const oldest = semver.minVersion(pkg.engines.node)!.version;
    expect(oldest).toBe('20.19.0');
    const refusing: string[] = [];
    for (const [path, p] of Object.entries(lock.packages)) {
      const range = !Array.isArray(p.engines) ? p.engines?.node : undefined;
      if (path && range && !semver.satisfies(oldest, range)) refusing.push(`${path}@${p.version}: node ${range}`);
    }
    expect(refusing).toEqual([]);
  });
});
