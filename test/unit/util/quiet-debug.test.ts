/**
 * Issue 27: mqtt-packet's disabled `debug()` loggers gathered their arguments on every packet, about 1 KB per
 * stored reading (106 MB of 1,142 MB allocated in a profiled 100,000-reading drain). Without DEBUG they are
 * no-ops; with DEBUG set nothing changes. Checked in a child process: the silencing is for a whole process.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const PROBE = `
import '../src/util/quiet-debug.ts';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
const require = createRequire(import.meta.url);
const fromPacket = createRequire(require.resolve('mqtt-packet'))('debug');
const d = fromPacket('mqtt-packet:parser');
let logged = 0;
fromPacket.log = () => logged++;
if (d.log) d.log = () => logged++;
d('parse: %o', { big: 'x'.repeat(100) });
console.log(JSON.stringify({ enabled: d.enabled, logged, sub: d.extend('x').namespace, enable: typeof fromPacket.enable, quiet: fromPacket.quiet === true }));
`;

function probe(env: Record<string, string>): Record<string, unknown> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROBE], {
    cwd: join(ROOT, 'test'),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('quiet debug (issue 27)', () => {
  it("without DEBUG: mqtt-packet's loggers are no-ops (enabled false, nothing logged), the module's API stays", () => {
    expect(probe({})).toEqual({
      enabled: false,
      logged: 0,
      sub: 'mqtt-packet:parser:x',
      enable: 'function',
      quiet: true,
    });
  });

  it('with DEBUG=mqtt-packet:*: the real loggers, enabled, and they log', () => {
    const r = probe({ DEBUG: 'mqtt-packet:*' });
    expect(r.quiet).toBe(false);
    expect(r.enabled).toBe(true);
    expect(r.logged).toBe(1);
  });
});
