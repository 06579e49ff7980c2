import { createRequire } from 'node:module';
import pino, { type Logger, type LoggerOptions } from 'pino';
import { Writable } from 'node:stream';
import { redactSecrets } from './redact.ts';
import { type StatusLine, terminalStatus } from './status-line.ts';

const require = createRequire(import.meta.url);

/** Whether a module can be loaded from here (pino-pretty is a dev dependency: absent from the image). */
function installed(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every line, whatever logged it (a library's error text, a URL in a field), passes the one redaction of secrets
 * in URLs before it is written (issue 21 F7): the last net under the redaction done where URLs are logged.
 */
const hooks: LoggerOptions['hooks'] = { streamWrite: redactSecrets };

/**
 * One root logger: JSON lines (pino), or pino-pretty's coloured lines when `pretty` asks for them (a terminal)
 * and pino-pretty is installed. Without it (production install, Docker image) the lines stay JSON, never a
 * crash; pipe them through `npx pino-pretty` to read them comfortably.
 */
export function createLogger(
  level: string,
  opts: { pretty?: boolean; isInstalled?: (name: string) => boolean; status?: StatusLine } = {},
): Logger {
  if (opts.pretty && (opts.isInstalled ?? installed)('pino-pretty')) {
    // In this thread (not a transport worker): each pretty line is written above the terminal's status line
    // (the demo's progress bar), in order with the bar's redraws.
    const status = opts.status ?? terminalStatus;
    const out = new Writable({
      write(chunk: Buffer | string, _enc, done) {
        status.above(() => void process.stdout.write(chunk));
        done();
      },
    });
    const pretty = require('pino-pretty') as (o: object) => NodeJS.WritableStream;
    return pino(
      { level, hooks },
      pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: out }),
    );
  }
  return pino({ level, hooks });
}
