import { chmodSync, mkdirSync, statSync } from 'node:fs';

/**
 * A folder only its owner can enter (issue 21: snapshots were 0644 in a 0755 data dir): created 0700, or
 * tightened to 0700 when group or others had any right. Returns what was done, for a log line.
 */
export function ensurePrivateDir(dir: string): 'created' | 'tightened' | 'kept' {
  let mode: number;
  try {
    mode = statSync(dir).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return 'created';
  }
  if ((mode & 0o077) === 0) return 'kept';
  chmodSync(dir, mode & 0o700);
  return 'tightened';
}
