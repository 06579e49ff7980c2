import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createLogger } from '../../../src/util/logger.ts';

const ROOT = join(import.meta.dirname, '../../..');

describe('createLogger', () => {
  it('asked for pretty lines without pino-pretty installed: JSON lines, no crash', () => {
    // The image has no dev dependencies; `docker run -it` gives a TTY. Run it in a child so the output is real.
    const code = `
      import { createLogger } from './src/util/logger.ts';
      const log = createLogger('info', { pretty: true, isInstalled: () => false });
      log.info({ meters: 3 }, 'Service started.');
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const line = JSON.parse(r.stdout.trim()) as { msg: string; meters: number; level: number };
    expect(line).toMatchObject({ msg: 'Service started.', meters: 3, level: 30 });
  });

  it('pretty lines when pino-pretty is there and asked for; JSON otherwise', () => {
    expect(createLogger('info', { pretty: false }).level).toBe('info');
    const pretty = createLogger('debug', { pretty: true, isInstalled: () => true });
    expect(pretty.level).toBe('debug');
  });
});
