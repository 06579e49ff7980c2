/**
 * Issue 14, memory: the service's V8 heap is capped where it is launched, the same everywhere, and a user's own
 * NODE_OPTIONS still wins. Without the cap, V8 let the heap grow with the allocation rate (bench latency: 447 MB
 * RSS at 13k readings/s with 157 MB of it in use); with it, 232 MB.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICE_NODE_OPTIONS } from '../../helpers/service-process.ts';

const ROOT = join(import.meta.dirname, '../../..');
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');

describe('launch memory settings', () => {
  it('caps the old space at a size the RSS target allows', () => {
    const mb = Number(/--max-old-space-size=(\d+)/.exec(SERVICE_NODE_OPTIONS)?.[1]);
    expect(mb).toBeGreaterThanOrEqual(192);
    expect(mb).toBeLessThanOrEqual(256);
  });

  it('npm start and npm run serve set it first in NODE_OPTIONS, so the user`s NODE_OPTIONS comes later and wins', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'serve']) {
      expect(scripts[name]).toContain(`NODE_OPTIONS="${SERVICE_NODE_OPTIONS} \${NODE_OPTIONS:-}"`);
      expect(scripts[name]).toMatch(/tsx src\/cli\/main\.ts serve/);
    }
  });

  it('the Docker image sets it in its environment (compose or docker run -e replaces it)', () => {
    expect(read('Dockerfile')).toMatch(new RegExp(`^\\s*NODE_OPTIONS=${SERVICE_NODE_OPTIONS}\\s*\\\\?$`, 'm'));
  });

  it('the drills, benches and the quick-start test launch it the same way', () => {
    expect(read('test/helpers/service-process.ts')).toContain('NODE_OPTIONS: SERVICE_NODE_OPTIONS');
    expect(read('test/e2e/quick-start.test.ts')).toContain('NODE_OPTIONS: SERVICE_NODE_OPTIONS');
  });
});
