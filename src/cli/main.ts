#!/usr/bin/env -S npx tsx
import '../util/quiet-debug.ts'; // first: before anything requires `debug` (issue 27)
import { hasCode, isKzmError } from '../util/errors.ts';
import { packageVersion } from '../util/version.ts';
import { redactSecrets } from '../util/redact.ts';

interface Command {
  readonly summary: string;
  readonly run: (argv: string[]) => Promise<number>;
}

// Each command's module is loaded when it runs: `--help`, `--version` and a short command do not load the
// service (fastify, the InfluxDB client, the broker): 0.4 s to start instead of 1.4 s.
const COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'run the service (MQTT broker, ingest, InfluxDB, HTTP API, dashboard)',
    run: async (a) => (await import('./serve.ts')).serveMain(a),
  },
  backup: {
    summary: "copy the service's state (users, snapshots, audit trail, keys) to a file",
    run: async (a) => (await import('./backup.ts')).backupMain(a),
  },
  restore: {
    summary: 'put a backup into an empty data dir (checked against its manifest first)',
    run: async (a) => (await import('./backup.ts')).restoreMain(a),
  },
  simulate: {
    summary: 'publish simulated meter readings to a broker',
    run: async (argv) => (await import('../../simulator/index.ts')).simulateMain(argv),
  },
  ledger: {
    summary: 'print the fee ledger of a period (table, CSV or JSON)',
    run: async (a) => (await import('./ledger.ts')).ledgerMain(a),
  },
  close: {
    summary: 'close a tax period into a frozen, digest-checked snapshot',
    run: async (a) => (await import('./periods.ts')).periodsMain('close', a),
  },
  reopen: {
    summary: 'reopen a closed period (the next close makes a new version)',
    run: async (a) => (await import('./periods.ts')).periodsMain('reopen', a),
  },
  export: {
    summary: "write a closed period's declaration exports (CSV, JSON, HTML)",
    run: async (a) => (await import('./periods.ts')).periodsMain('export', a),
  },
  // verify --period P: a closed period; verify alone: the audit trail's hash chain
  verify: {
    summary:
      'check a closed period (--period): digest and recomputed ledger; without --period: the audit trail, snapshots and every seal',
    run: async (a) =>
      a.some((x) => x === '--period' || x.startsWith('--period=') || x === '--help' || x === '-h')
        ? (await import('./periods.ts')).periodsMain('verify', a)
        : (await import('./audit.ts')).auditVerifyMain(a),
  },
  seal: {
    summary: 'seal every ended local day now (digest, chain, signature)',
    run: async (a) => (await import('./seal.ts')).sealMain(a),
  },
  evidence: {
    summary: "write a closed period's signed evidence package (zip) for an inspector",
    run: async (a) => (await import('./evidence.ts')).evidenceMain(a),
  },
  'verify-evidence': {
    summary: 'check an evidence package anywhere (no service, database or data dir)',
    run: async (a) => (await import('./evidence.ts')).verifyEvidenceMain(a),
  },
  'signing-key': {
    summary: "rotate or list the installation's Ed25519 signing keys (old public keys kept)",
    run: async (a) => (await import('./seal.ts')).signingKeyMain(a),
  },
  'audit-key': {
    summary: "rotate or list the audit trail's HMAC keys (kept apart from the log)",
    run: async (a) => (await import('./audit.ts')).auditKeyMain(a),
  },
  periods: {
    summary: 'list tax periods, their state and due dates',
    run: async (a) => (await import('./periods.ts')).periodsMain('periods', a),
  },
  invoices: {
    summary: "import the supplier's statement (invoiced kWh per site and month), list it, reconcile it",
    run: async (a) => (await import('./invoices.ts')).invoicesMain(a),
  },
  rollup: {
    summary: 'recompute the hour/day rollups and daily fees of a range',
    run: async (a) => (await import('./rollup.ts')).rollupMain(a),
  },
  credentials: {
    summary: 'issue, rotate, revoke or list MQTT identities (meters, gateways, monitors)',
    run: async (a) => (await import('./credentials.ts')).credentialsMain(a),
  },
  users: {
    summary: 'add, list or remove people of the HTTP API and dashboard; tokens and passwords',
    run: async (a) => (await import('./users.ts')).usersMain(a),
  },
  'broker-config': {
    summary: "write Mosquitto's password and ACL files from the MQTT identities",
    run: async (a) => (await import('./broker-config.ts')).brokerConfigMain(a),
  },
};

export const EXIT_CODES = `Exit codes: 0 done; 1 failed (a start-up check, InfluxDB, or verify found a difference);
            2 bad command line or request (the message says what to change).`;

const HELP = `kzmeter ${packageVersion()} — metering and fee service for licensed crypto-mining data centres (Kazakhstan)

Usage: kzmeter <command> [options]        (from a checkout: npm run cli -- <command> [options])

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(17)}${c.summary}`)
  .join('\n')}

Options: --help (also after a command), --version
Run "kzmeter <command> --help" for its options and an example.
${EXIT_CODES}
Configuration: KZM_* environment variables or --config file.yaml (README "Configuration").`;

/** parseArgs' complaint in one line, naming the command and where its options are. */
function usageError(cmd: string, err: Error): string {
  const first = err.message.split(/\.\s/)[0]!.replace(/\.$/, '');
  return `kzmeter ${cmd}: ${first[0]!.toLowerCase()}${first.slice(1)}. Run "kzmeter ${cmd} --help" for its options.`;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
    console.log(packageVersion());
    return 0;
  }
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    if (cmd === 'help' && rest[0] && COMMANDS[rest[0]]) return COMMANDS[rest[0]]!.run(['--help']);
    (cmd ? console.log : console.error)(HELP);
    return cmd ? 0 : 2;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    console.error(`kzmeter: unknown command "${cmd}". Run "kzmeter --help" for the commands.`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(usageError(cmd, err as Error));
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // By code, never by text: configuration and registry problems are the user's to fix.
    if (hasCode(err, 'config-invalid') || hasCode(err, 'registry-invalid'))
      console.error(redactSecrets(`${err.message}\n\nFix the above and start again.`));
    else if (isKzmError(err) || (err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError)))
      console.error(redactSecrets(`${err.name}: ${err.message}`));
    // An unexpected error's stack may quote a URL with its credentials: printed through the same redaction.
    else console.error(redactSecrets(err instanceof Error ? (err.stack ?? String(err)) : String(err)));
    process.exitCode = 1;
  },
);
