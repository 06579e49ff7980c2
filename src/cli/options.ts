/** The option groups several subcommands share (node:util parseArgs), so each flag is spelt and typed once. */

/** Every subcommand: `--config F` (settings file) and `--help`. */
export const COMMON_OPTIONS = {
  config: { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** A span of time: `--period 2025-Q3` or `--from`/`--to` dates. */
export const SPAN_OPTIONS = {
  period: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
} as const;

/** Where a subcommand writes: injectable for tests, the process's streams by default. */
export function cliStreams(io: { out?: (t: string) => void; err?: (t: string) => void }): {
  out: (t: string) => void;
  err: (t: string) => void;
} {
  return {
    out: io.out ?? ((t: string) => void process.stdout.write(t)),
    err: io.err ?? ((t: string) => void process.stderr.write(t)),
  };
}
