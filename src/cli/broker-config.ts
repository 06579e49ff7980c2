import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mosquittoConf, mosquittoFiles } from '../auth/mosquitto-files.ts';
import { credentialsFilePath, readCredentialsFile } from '../auth/mqtt-credentials.ts';
import { loadConfig } from '../config/load.ts';
import { loadRegistry } from '../registry/load.ts';
import { KzmError } from '../util/errors.ts';

export const BROKER_CONFIG_HELP = `Usage: kzmeter broker-config mosquitto [--out DIR] [--owner USER[:GROUP]] [--config FILE]
  Mosquitto's password file (DIR/passwd), ACL file (DIR/acl) and a config snippet (DIR/kzmeter.conf) from
  the MQTT identities and the registry's devices: the same rights as the embedded broker, one session per
  identity. Default DIR: <dataDir>/mosquitto. DIR is 0700 and passwd, acl 0600.
  Regenerate after "kzmeter credentials ..." and reload Mosquitto (kill -HUP). EMQX: see README, Security.
  --out DIR       where to write (default <dataDir>/mosquitto)
  --owner U[:G]   give DIR, passwd and acl to this user (and group; default the user's): the user Mosquitto
                  drops to (Debian: mosquitto), which cannot read root's 0600 files otherwise; needs root
  --help          this help
  --config FILE   settings file (else KZM_* variables)
Example: kzmeter broker-config mosquitto --out /etc/mosquitto/kzmeter --owner mosquitto`;

export class BrokerConfigError extends KzmError {
  constructor(message: string) {
    super(message, { code: 'usage' });
  }
}

/** `user[:group]` (names or numbers) to ids, through the system's own `id` and `getent`. */
function resolveOwner(spec: string): { uid: number; gid: number } {
  const [user, group] = spec.split(':');
  const ask = (cmd: string, args: string[], what: string): string => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      throw new BrokerConfigError(`--owner ${spec}: no such ${what} on this host`);
    }
  };
  const uid = Number(ask('id', ['-u', user!], 'user'));
  const gid = group
    ? Number(ask('getent', ['group', group], 'group').split(':')[2])
    : Number(ask('id', ['-g', user!], 'user'));
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new BrokerConfigError(`--owner ${spec}: not a user`);
  return { uid, gid };
}

/** Write through a temp file and a rename, so a Mosquitto reloading meanwhile never reads half a file. */
function writeAtomic(file: string, text: string, mode: number, owner?: { uid: number; gid: number }): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  if (owner) chownSync(tmp, owner.uid, owner.gid);
  renameSync(tmp, file);
}

export async function brokerConfigMain(argv: string[], print: (s: string) => void = (s) => console.log(s)) {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      owner: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (v.help || positionals[0] !== 'mosquitto') {
    print(BROKER_CONFIG_HELP);
    return v.help ? 0 : 2;
  }
  let owner: { uid: number; gid: number } | undefined;
  try {
    owner = v.owner === undefined ? undefined : resolveOwner(v.owner);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const config = loadConfig(v.config ? { file: v.config } : {});
  const source = credentialsFilePath(config.registryDir, config.mqtt.credentialsFile);
  const out = resolve(v.out ?? `${config.dataDir}/mosquitto`);
  const files = mosquittoFiles(readCredentialsFile(source), source, loadRegistry(config.registryDir).devices ?? []);
  mkdirSync(out, { recursive: true, mode: 0o700 });
  chmodSync(out, 0o700);
  if (owner) chownSync(out, owner.uid, owner.gid);
  writeAtomic(`${out}/passwd`, files.passwd, 0o600, owner);
  writeAtomic(`${out}/acl`, files.acl, 0o600, owner);
  // Read by Mosquitto as root, before it drops its privileges, like mosquitto.conf itself.
  writeAtomic(`${out}/kzmeter.conf`, mosquittoConf(out), 0o644);
  for (const s of files.skipped) print(`skipped ${s.id}: ${s.why}`);
  print(`wrote ${out}/passwd, ${out}/acl and ${out}/kzmeter.conf${v.owner ? ` (owner ${v.owner})` : ''}`);
  return 0;
}
