import { parseArgs } from 'node:util';
import { changeCredential, listCredentials, type CredentialAction } from '../auth/credential-admin.ts';
import { credentialsFilePath, IDENTITY_KINDS, type IdentityKind } from '../auth/mqtt-credentials.ts';
import { loadConfig } from '../config/load.ts';
import { loadRegistry } from '../registry/load.ts';
import { cliAudit } from './audit.ts';

export const CREDENTIALS_HELP = `Usage: kzmeter credentials <issue|rotate|revoke|list> [id] [--kind K] [--meters M] [--client-ids C] [--json] [--config FILE]
  MQTT identities of meters, gateways and monitors (hashes in <registryDir>/credentials.yaml or
  KZM_MQTT_CREDENTIALS_FILE). The secret is printed once; the running service picks up changes within 2 s.
  issue <id> [--kind meter|gateway|monitor] [--meters m1,m2]   new identity (meter: id = meter id)
  rotate <id>     new secret; the old one stops working and its connections are closed
  revoke <id>     the identity can no longer connect; live connections are closed
  list            identities, kinds, meters, dates (no hashes)
  --client-ids C  issue, rotate: MQTT client ids only this identity may use, before its first connect
                  (firmware ids such as Tasmota's DVES_5C1A2B; others are bound at first use, README Security)
  --json          print the result as JSON (username, password)
  --help          this help
  --config FILE   settings file (else KZM_* variables)
Example: kzmeter credentials issue gw-ekb-1 --kind gateway --meters ekb-1-m01,ekb-1-m02`;

export async function credentialsMain(argv: string[], print: (s: string) => void = (s) => console.log(s)) {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kind: { type: 'string' },
      meters: { type: 'string' },
      'client-ids': { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean' },
    },
  });
  const [action, id] = positionals;
  if (v.help || !action) {
    print(CREDENTIALS_HELP);
    return v.help ? 0 : 2;
  }
  const config = loadConfig(v.config ? { file: v.config } : {});
  const file = credentialsFilePath(config.registryDir, config.mqtt.credentialsFile);
  if (action === 'list') {
    const list = listCredentials(file);
    print(v.json ? JSON.stringify(list, null, 2) : list.map(describe).join('\n') || '(no identities)');
    return 0;
  }
  if (!['issue', 'rotate', 'revoke'].includes(action) || !id) {
    console.error(`Expected issue, rotate or revoke with an id, or list.\n\n${CREDENTIALS_HELP}`);
    return 2;
  }
  if (v.kind !== undefined && !IDENTITY_KINDS.includes(v.kind as IdentityKind)) {
    console.error(`--kind must be one of ${IDENTITY_KINDS.join(', ')}`);
    return 2;
  }
  const registry = loadRegistry(config.registryDir);
  const change = await changeCredential({
    file,
    action: action as CredentialAction,
    id,
    ...(v.kind !== undefined && { kind: v.kind as IdentityKind }),
    ...(v.meters !== undefined && { meters: v.meters.split(',').map((m) => m.trim()) }),
    ...(v['client-ids'] !== undefined && { clientIds: v['client-ids'].split(',').map((c) => c.trim()) }),
    meterIds: new Set(registry.meters.map((m) => m.id)),
  });
  await cliAudit(config, {
    action: `credential-${change.action}`,
    what: { identity: change.id, kind: change.kind, file },
  });
  if (v.json) print(JSON.stringify({ action: change.action, username: change.id, password: change.secret }));
  else if (change.secret)
    print(
      `${change.kind} "${change.id}": secret ${change.action === 'issue' ? 'issued' : 'rotated'} (shown only now; only its hash is kept in ${file})\n  username: ${change.id}\n  password: ${change.secret}`,
    );
  else print(`${change.kind} "${change.id}": revoked in ${file}`);
  return 0;
}

function describe(r: ReturnType<typeof listCredentials>[number]): string {
  const meters = `${r.meters ? ` meters=${r.meters.join(',')}` : ''}${r.clientIds ? ` client-ids=${r.clientIds.join(',')}` : ''}`;
  return `${r.id}\t${r.kind}${meters}\tissued ${r.issuedAt}${r.revokedAt ? `\trevoked ${r.revokedAt}` : ''}`;
}
