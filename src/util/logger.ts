import pino, { type Logger } from 'pino';

/** One root logger; JSON lines (pino) — pipe through `npx pino-pretty` to read them comfortably. */
export function createLogger(level: string, opts: { pretty?: boolean } = {}): Logger {
  if (opts.pretty) {
    return pino({
      level,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return pino({ level });
}
