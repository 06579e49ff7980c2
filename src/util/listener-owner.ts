import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * Whether process `pid` holds the TCP listener on 127.0.0.1:`port` (Linux /proc): a ping or a connect answers
 * from whatever listens on a port, and a port picked free may be taken by another server before a child binds
 * it. `undefined` when it cannot be told (no /proc, another user's process): callers then trust the answer.
 */
export function holdsListener(pid: number, port: number): boolean | undefined {
  try {
    const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    const inodes = new Set<string>();
    const rows = readFileSync('/proc/net/tcp', 'utf8').split('\n');
    for (let i = 1; i < rows.length; i++) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const f = rows[i]!.trim().split(/\s+/);
      if (f[1] === `0100007F${hexPort}` && f[3] === '0A') inodes.add(`socket:[${f[9]}]`);
    }
    if (inodes.size === 0) return false;
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return true;
      } catch {
        // closed between the listing and the read
      }
    }
    return false;
  } catch {
    return undefined;
  }
}
