/**
 * Issue 26: in a terminal, a log line must not land on the progress bar's line
 * (`ETA 54 s\e[K[01:21:57.290] INFO: ...`): the bar's line is cleared first and the bar drawn again below.
 */
import { describe, expect, it } from 'vitest';
import { createStatusLine } from '../../../src/util/status-line.ts';
import { createLogger } from '../../../src/util/logger.ts';

describe('status line and log (issue 26)', () => {
  it('a log line written while the bar shows goes on its own line, the bar is redrawn after it', () => {
    let screen = '';
    const line = createStatusLine((s) => (screen += s));
    line.show('[##....] 20%  ETA 54 s');
    line.above(() => (screen += '[01:21:57.290] INFO: Rollups caught up.\n'));
    expect(screen).toBe(
      '\r[##....] 20%  ETA 54 s\x1b[K' +
        '\r\x1b[K[01:21:57.290] INFO: Rollups caught up.\n' +
        '\r[##....] 20%  ETA 54 s\x1b[K',
    );
    // the failure the issue saw: the log text right after the bar's erase, on the bar's line
    expect(screen).not.toContain('ETA 54 s\x1b[K[01');
  });

  it('after done, log lines are written as they are', () => {
    let screen = '';
    const line = createStatusLine((s) => (screen += s));
    line.done('[######] 100%');
    line.above(() => (screen += 'log\n'));
    expect(screen).toBe('\r[######] 100%\x1b[K\nlog\n');
  });

  it('the pretty logger writes through the status line', async () => {
    const calls: string[] = [];
    const status = {
      show: () => {},
      done: () => {},
      above: (w: () => void) => {
        calls.push('above');
        w();
      },
    };
    const log = createLogger('info', { pretty: true, status });
    log.info('one line');
    const deadline = Date.now() + 5000;
    while (calls.length === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(['above']);
  });
});
