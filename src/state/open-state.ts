/**
 * Opens the configured state store (issue 25): files under the data dir unless `state.url` names PostgreSQL.
 * Shared by the service and the CLI, so both act on the same state.
 */
import type { Logger } from 'pino';
import { signerOf, signingKeyOptions } from '../auth/signing-keys.ts';
import type { Config } from '../config/schema.ts';
import { auditKeyFilePath } from '../auth/audit-keys.ts';
import { createFileStateStore } from './file-state.ts';
import { openPgStateStore } from './pg/pg-state.ts';
import type { StateStore } from './state-store.ts';

export type StateConfig = Pick<Config, 'dataDir' | 'audit' | 'signing' | 'state'>;

export async function openStateStore(config: StateConfig, log?: Logger): Promise<StateStore> {
  const signer = signerOf(signingKeyOptions(config));
  const onError = (err: Error) =>
    log?.error({ err: err.message }, 'A state file is invalid; its previous content stays.');
  if (config.state.url)
    return openPgStateStore({
      url: config.state.url,
      dataDir: config.dataDir,
      auditKeyFile: config.audit.keyFile ?? auditKeyFilePath(config.dataDir),
      signer,
      log,
    });
  return createFileStateStore({ dataDir: config.dataDir, auditKeyFile: config.audit.keyFile, signer, onError });
}
