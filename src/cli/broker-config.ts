import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mosquittoConf, mosquittoFiles } from '../auth/mosquitto-files.ts';
import { credentialsFilePath, readCredentialsFile } from '../auth/mqtt-credentials.ts';
import { loadConfig } from '../config/load.ts';
import { loadRegistry } from '../registry/load.ts';

export const BROKER_CONFIG_HELP = `Usage: kzmeter broker-config mosquitto [--out DIR] [--config FILE]
  Mosquitto's password file (DIR/passwd), ACL file (DIR/acl) and a config snippet (DIR/kzmeter.conf) from
  the MQTT identities and the registry's devices: the same rights as the embedded broker. Default DIR:
  <dataDir>/mosquitto.
  Regenerate after "kzmeter credentials ..." and reload Mosquitto (kill -HUP). EMQX: see README, Security.
  --out DIR       where to write (default <dataDir>/mosquitto)
  --help          this help
  --config FILE   settings file (else KZM_* variables)
Example: kzmeter broker-config mosquitto --out /etc/mosquitto/kzmeter`;

export async function brokerConfigMain(argv: string[], print: (s: string) => void = (s) => console.log(s)) {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (v.help || positionals[0] !== 'mosquitto') {
    print(BROKER_CONFIG_HELP);
    return v.help ? 0 : 2;
  }
  const config = loadConfig(v.config ? { file: v.config } : {});
  const source = credentialsFilePath(config.registryDir, config.mqtt.credentialsFile);
  const out = resolve(v.out ?? `${config.dataDir}/mosquitto`);
  const files = mosquittoFiles(readCredentialsFile(source), source, loadRegistry(config.registryDir).devices ?? []);
  mkdirSync(out, { recursive: true, mode: 0o700 });
  writeFileSync(`${out}/passwd`, files.passwd, { mode: 0o600 });
  writeFileSync(`${out}/acl`, files.acl, { mode: 0o644 });
  writeFileSync(`${out}/kzmeter.conf`, mosquittoConf(out));
  for (const s of files.skipped) print(`skipped ${s.id}: ${s.why}`);
  print(`wrote ${out}/passwd, ${out}/acl and ${out}/kzmeter.conf`);
  return 0;
}
