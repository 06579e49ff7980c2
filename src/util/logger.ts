import { createRequire } from 'node:module';
import pino, { type Logger, type LoggerOptions } from 'pino';
import { redactSecrets } from './redact.ts';

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
  opts: { pretty?: boolean; isInstalled?: (name: string) => boolean } = {},
): Logger {
  if (opts.pretty && (opts.isInstalled ?? installed)('pino-pretty')) {
    return pino({
      level,
      hooks,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return pino({ level, hooks });
}
