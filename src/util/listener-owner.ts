import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** Inodes of the TCP sockets listening on 127.0.0.1:port (Linux /proc/net/tcp). */
function listeningInodes(port: number): Set<string> {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  const rows = readFileSync('/proc/net/tcp', 'utf8').split('\n');
  for (let i = 1; i < rows.length; i++) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    const f = rows[i]!.trim().split(/\s+/);
    if (f[1] === `0100007F${hexPort}` && f[3] === '0A') inodes.add(`socket:[${f[9]}]`);
  }
  return inodes;
}

function holdsOne(pid: number, inodes: ReadonlySet<string>): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // gone, or not ours to read
  }
  for (const fd of fds) {
    try {
      if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return true;
    } catch {
      // closed between the listing and the read
    }
  }
  return false;
}

/** Processes of process group `pgid` (field 5 of /proc/<pid>/stat, after the command name in parentheses). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // state ppid pgrp ...
      if (Number(f[2]) === pgid) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * Whether process `pid` holds the TCP listener on 127.0.0.1:`port` (Linux /proc): a ping or a connect answers
 * from whatever listens on a port, and a port picked free may be taken by another server before a child binds
 * it. `processGroup`: a process of the group `pid` leads counts too (a configured wrapper script that starts the
 * server as its child, in a child spawned `detached`). `undefined` when it cannot be told (no /proc): callers
 * then trust the answer.
 */
export function holdsListener(pid: number, port: number, opts: { processGroup?: boolean } = {}): boolean | undefined {
  let inodes: Set<string>;
  try {
    inodes = listeningInodes(port);
  } catch {
    return undefined;
  }
  if (inodes.size === 0) return false;
  if (holdsOne(pid, inodes)) return true;
  if (!opts.processGroup) return false;
  try {
    return groupMembers(pid).some((p) => p !== pid && holdsOne(p, inodes));
  } catch {
    return undefined;
  }
}
