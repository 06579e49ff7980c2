#!/usr/bin/env -S npx tsx
import { ConfigError } from '../config/load.ts';
import { RegistryError } from '../registry/load.ts';
import { ledgerMain, LEDGER_HELP } from './ledger.ts';
import { periodsMain, PERIODS_HELP } from './periods.ts';
import { rollupMain, ROLLUP_HELP } from './rollup.ts';
import { serveMain, SERVE_HELP } from './serve.ts';

const HELP = `kzmeter — metering and fee service for licensed crypto-mining data centres (Kazakhstan)

Usage: kzmeter <command> [options]     (npm run cli -- <command> ...)

Commands:
  serve       run the service (broker, ingest, HTTP); --simulate adds the simulator
  simulate    publish simulated meter readings to a broker (see simulator/README.md)
  ledger      the fee ledger of a period from InfluxDB (json, csv or table)
  close, reopen, export, verify, periods   tax-period close and exports (docs/accountant.md)
  rollup      recompute the hour/day rollups the ledger reads, from the raw readings

${SERVE_HELP}

${LEDGER_HELP}

${PERIODS_HELP}

${ROLLUP_HELP}

Run "kzmeter <command> --help" for a command's options. Configuration: KZM_* environment variables or
--config file.yaml (see README.md, "Configuration").`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  serve: serveMain,
  simulate: async (argv) => (await import('../../simulator/index.ts')).simulateMain(argv),
  ledger: (argv) => ledgerMain(argv),
  close: (argv) => periodsMain('close', argv),
  reopen: (argv) => periodsMain('reopen', argv),
  export: (argv) => periodsMain('export', argv),
  verify: (argv) => periodsMain('verify', argv),
  periods: (argv) => periodsMain('periods', argv),
  rollup: (argv) => rollupMain(argv),
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(HELP);
    return cmd ? 0 : 2;
  }
  const run = commands[cmd];
  if (!run) {
    console.error(`Unknown command "${cmd}".\n\n${HELP}`);
    return 2;
  }
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
      console.error(`${(err as Error).message}\n\n${HELP}`);
    else if (err instanceof ConfigError || err instanceof RegistryError)
      console.error(`${err.message}\n\nFix the above and start again.`);
    else if (
      err instanceof Error &&
      err.name.endsWith('Error') &&
      !(err instanceof TypeError) &&
      !(err instanceof RangeError)
    )
      console.error(`${err.name}: ${err.message}`);
    else console.error(err);
    process.exitCode = 1;
  },
);
