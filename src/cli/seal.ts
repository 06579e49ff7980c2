/**
 * `kzmeter seal [--through YYYY-MM-DD]`: seal every ended local day now (the service does it on its own after
 * `seal.lateWindowH`); `kzmeter signing-key rotate|list`; and the seal part of `kzmeter verify`.
 * Exit codes: 0 done, 1 failed (or a seal does not verify), 2 bad arguments.
 */
import { parseArgs } from 'node:util';
import { listSigningKeys, rotateSigningKey } from '../auth/signing-keys.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { loadRegistry } from '../registry/load.ts';
import { createSealing, signingKeyOptions } from '../seal/index.ts';
import { SEAL_MESSAGES } from '../seal/messages.ts';
import { createFileSealStore } from '../seal/seal-store.ts';
import { verifySeals } from '../seal/verify-seals.ts';
import { createBatchWriter } from '../store/batch-writer.ts';
import { createWriteApi } from '../store/write-api.ts';
import { createLogger } from '../util/logger.ts';
import { influxTargetOf, NO_INFLUX } from './local-influx.ts';
import { COMMON_OPTIONS, cliStreams } from './options.ts';
import { progressReporter } from './progress-bar.ts';

export const SEAL_CLI_MESSAGES = {
  help: `Usage: kzmeter seal [--through YYYY-MM-DD] [--config F]
  Seals every local day of every site that has ended (the service seals a day on its own once it ended
  seal.lateWindowH hours ago): a SHA-256 digest over every stored reading and status of the site's meters,
  chained to the site's previous seal and signed (<dataDir>/seals/ and InfluxDB's reading_seal). A day
  already sealed is never sealed again: readings stored for it later make an amendment (a new version).
  --through D   seal no day after D (a local date of the sites)
  --config F    settings file (YAML)
  --help        this text
Example: kzmeter seal --through 2025-09-30`,
  keyHelp: `Usage: kzmeter signing-key <rotate|list> [--config F]
  The installation's Ed25519 signing keys (signing.keyFile, default <dataDir>/auth/signing-keys.json, 0600).
  rotate   a new key signs from now on; old keys keep their public part so what they signed still verifies
  list     key ids (fingerprints), when made and retired, which is current (never a private key)
  --config F    settings file (YAML)
  --help        this text
  A key supplied by signing.privateKeyFile (a mounted secret) is rotated there: replace the file and restart.
Example: kzmeter signing-key rotate`,
  badThrough: 'kzmeter seal: --through must be a date YYYY-MM-DD. Run "kzmeter seal --help" for its options.',
  noSeals: 'seals: none yet (kzmeter seal, or the service after seal.lateWindowH, makes them)',
  rotated: (current: string, retired: string) =>
    `signing key ${current} is current; ${retired} retired (its public key is kept so what it signed still verifies)`,
} as const;

const ended = () => Date.now();

async function sealingFor(config: Config) {
  const target = influxTargetOf(config);
  if (!target) throw Object.assign(new Error(NO_INFLUX), { name: 'SealCliError' });
  const log = createLogger(config.logLevel);
  const writer = createBatchWriter({ writeApi: createWriteApi(target), batchSize: 1000, lingerMs: 0, log });
  const registry = loadRegistry(config.registryDir);
  const sealing = createSealing(config, registry, target, (lines) => writer.write(lines));
  return { sealing, registry, target, writer };
}

export async function sealMain(argv: string[], io: { out?: (t: string) => void } = {}): Promise<number> {
  const { out } = cliStreams(io);
  const { values: v } = parseArgs({ args: argv, options: { through: { type: 'string' }, ...COMMON_OPTIONS } });
  if (v.help) return (out(`${SEAL_CLI_MESSAGES.help}\n`), 0);
  if (v.through !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(v.through)) {
    console.error(SEAL_CLI_MESSAGES.badThrough);
    return 2;
  }
  const config = loadConfig(v.config ? { file: v.config } : {});
  const { sealing, writer } = await sealingFor(config);
  try {
    const r = await sealing.sealer.sealDue({ endedByMs: ended(), ...(v.through && { throughDay: v.through }) });
    for (const s of r.sealed) out(`${SEAL_MESSAGES.sealedDay(s.site, s.day, s.version, s.readings, s.digest)}\n`);
    out(`${SEAL_MESSAGES.sealed(r.sealed.length)}\n`);
    return 0;
  } finally {
    await writer.stop(10_000);
  }
}

/** The seal part of `kzmeter verify`: 0 when every seal holds (or there are none), 1 otherwise. */
export async function verifySealsMain(
  config: Config,
  print: (s: string) => void,
  progress: (s: string) => void = (s) => void process.stderr.write(s),
): Promise<number> {
  // No seals: nothing to check, and no InfluxDB needed (the audit trail alone verifies anywhere).
  if (!createFileSealStore(config.dataDir).sites().length) return (print(SEAL_CLI_MESSAGES.noSeals), 0);
  const { sealing, registry, target, writer } = await sealingFor(config);
  try {
    const bar = progressReporter('seals', process.stderr.isTTY === true, progress);
    const r = await verifySeals({
      registry,
      target,
      store: sealing.store,
      sealer: sealing.sealer,
      publicKeys: sealing.publicKeys,
      onProgress: (done, total) => bar.update(done, total),
    });
    bar.end();
    for (const p of r.problems) print(`seals: BROKEN: ${p.message}`);
    if (r.problems.length) return 1;
    print(SEAL_MESSAGES.ok(r.seals, r.days, r.readings));
    return 0;
  } finally {
    await writer.stop(1_000);
  }
}

export async function signingKeyMain(argv: string[], print: (s: string) => void = (s) => console.log(s)) {
  const { values: v, positionals } = parseArgs({ args: argv, allowPositionals: true, options: COMMON_OPTIONS });
  const action = positionals[0];
  if (v.help || (action !== 'rotate' && action !== 'list')) {
    print(SEAL_CLI_MESSAGES.keyHelp);
    return v.help ? 0 : 2;
  }
  const opts = signingKeyOptions(loadConfig(v.config ? { file: v.config } : {}));
  if (action === 'rotate') {
    const r = rotateSigningKey(opts);
    print(SEAL_CLI_MESSAGES.rotated(r.current, r.retired));
    return 0;
  }
  for (const k of listSigningKeys(opts))
    print(
      `${k.keyId}\tmade ${k.createdAt}${k.retiredAt ? `\tretired ${k.retiredAt}` : ''}${k.current ? '\tcurrent' : ''}`,
    );
  return 0;
}
