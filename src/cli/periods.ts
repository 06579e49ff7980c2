/**
 * CLI for period close and exports, against a running InfluxDB (KZM_INFLUX_URL):
 *   kzmeter close  --period 2025-Q3 [--taxpayer BIN] [--by NAME] [--reason TEXT] [--acknowledge TEXT] [--preview]
 *   kzmeter reopen --period 2025-Q3 [--taxpayer BIN] --reason TEXT [--by NAME]
 *   kzmeter export --period 2025-Q3 [--taxpayer BIN] [--version N] [--format csv|totals.csv|json|html|all] [--out DIR]
 *   kzmeter verify --period 2025-Q3 [--taxpayer BIN] [--version N]
 *   kzmeter periods                     (list with states and due dates)
 * Exit codes: 0 done, 1 failed (or verify found a difference), 2 bad arguments.
 */
import { COMMON_OPTIONS } from './options.ts';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { feeSettings } from '../config/fee-settings.ts';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { loadTariffs } from '../fees/index.ts';
import { type ExportFormat, type PeriodService, createPeriodService } from '../periods/period-service.ts';
import { loadRegistry } from '../registry/load.ts';
import { influxTargetOf, NO_INFLUX } from './local-influx.ts';
import type { AuditInput } from '../auth/audit-log.ts';
import { cliActor, cliAudit } from './audit.ts';
import { SNAPSHOT_ALTERED } from '../periods/snapshot-integrity.ts';
import { createInvoiceService } from '../periods/invoice-service.ts';
import { openStateStore } from '../state/open-state.ts';
import { createPeriodSeals } from '../periods/period-seals.ts';
import { createSealing } from '../seal/index.ts';
import { NEEDS_ACKNOWLEDGEMENT } from '../periods/period-service.ts';
import { isLang, LANGS } from '../i18n/lang.js';
import { tenge } from '../i18n/number-format.js';
import { cliLang, cliMessages, previewText } from './close-messages.ts';

const P = 'P: 2025-Q3 (tax quarter), 2025-07 (month), 2025-07-01..2025-07-15 (days, both included)';
const COMMON = `  --taxpayer BIN  one taxpayer's snapshot (default: every taxpayer of the registry together)
  --lang L        ru, kk or en: the language of the messages and of the exports' headings and CSV headers
                  (default: KZM_LANG, else the shell's LANG, else en)
  --config F      settings file (YAML)
  --help          this text
  Reads the InfluxDB that \`kzmeter serve\` started (<dataDir>/local-influx.json while it runs) or KZM_INFLUX_URL.`;

/** Each period command's help: every option and an example. */
export const PERIOD_HELP = {
  close: `Usage: kzmeter close --period P [--taxpayer BIN] [--by NAME] [--reason TEXT] [--acknowledge TEXT] [--preview]
  Freezes the period's ledger into a digest-checked snapshot (<dataDir>/periods/); no-op when closed.
  --preview       show what the close would freeze (kWh, amount to declare, what needs an acknowledgement)
                  and write nothing
  --period P      ${P}
  --by NAME       who closes it (default: your user name)
  --reason TEXT   a note kept in the snapshot's audit record
  --acknowledge TEXT  why it is closed although a meter sent no reading in the period, a taxpayer has
                  20 % or more substituted, a site's month is outside its band against the supplier's
                  invoice, or a sealed day does not verify against InfluxDB (refused without it then; kept in the
                  snapshot and the audit trail)
${COMMON}
Example: kzmeter close --period 2025-Q3 --by "A. Accountant"`,
  reopen: `Usage: kzmeter reopen --period P --reason TEXT [--taxpayer BIN] [--by NAME]
  Allows a new close of a closed period; the next close makes version N+1 (the old one is kept).
  --period P      ${P}
  --reason TEXT   why it is reopened (kept in the audit record)
  --by NAME       who reopens it (default: your user name)
${COMMON}
Example: kzmeter reopen --period 2025-Q3 --reason "late readings of ekb-1-m02"`,
  export: `Usage: kzmeter export --period P [--taxpayer BIN] [--version N] [--format F] [--out DIR]
  Writes a closed period's exports for the declaration.
  --period P      ${P}
  --version N     a snapshot version (default: the latest)
  --format F      csv, totals.csv, json, html or all (default)
  --out DIR       write files there (default: print to stdout)
${COMMON}
Example: kzmeter export --period 2025-Q3 --format all --out exports/`,
  verify: `Usage: kzmeter verify --period P [--taxpayer BIN] [--version N]
  Checks a closed period: the snapshot's digest, and its ledger recomputed from InfluxDB. Exit code 1 when
  they differ.
  --period P      ${P}
  --version N     a snapshot version (default: the latest)
${COMMON}
Example: kzmeter verify --period 2025-Q3`,
  periods: `Usage: kzmeter periods [--config file.yaml]
  Lists the tax periods with their state (open, closed, reopened), late data waiting and due dates, as JSON.
  --config F      settings file (YAML)
  --help          this text
Example: kzmeter periods`,
} as const;

const OPTIONS = {
  period: { type: 'string' },
  taxpayer: { type: 'string' },
  by: { type: 'string' },
  reason: { type: 'string' },
  acknowledge: { type: 'string' },
  version: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  preview: { type: 'boolean' },
  lang: { type: 'string' },
  bom: { type: 'boolean' },
  ...COMMON_OPTIONS,
} as const;
const FORMATS: ExportFormat[] = ['csv', 'totals.csv', 'json', 'html'];

/** The period service the CLI works with; `deps` lets tests hand in their own. */
export async function cliPeriodService(configFile?: string): Promise<PeriodService> {
  return (await cliPeriodParts(configFile)).periods;
}

/** The period service with the seals and registry it was built with (the evidence package needs them). */
export async function cliPeriodParts(configFile?: string) {
  const config = loadConfig(configFile ? { file: configFile } : {});
  const target = influxTargetOf(config);
  if (!target) throw Object.assign(new Error(NO_INFLUX), { name: 'PeriodCliError' });
  const tariffs = await loadTariffs(config.tariffsDir);
  if (!tariffs.ok) throw Object.assign(new Error(tariffs.reason), { name: 'TariffError' });
  const registry = loadRegistry(config.registryDir);
  // A close from the command line checks the seals too; it writes no seal, so no writer is needed.
  const sealing = createSealing(config, registry, target, () => Promise.resolve());
  const seals = createPeriodSeals({ registry, target, sealing });
  // The configured state (files or PostgreSQL); a PostgreSQL pool lets the command exit when idle.
  const state = await openStateStore(config);
  const periods = createPeriodService({
    registry,
    invoices: createInvoiceService({ registry, store: state.invoices }),
    snapshots: state.snapshots,
    tariffs: tariffs.value,
    target,
    seals,
    signer: sealing.signer,
    dataDir: config.dataDir,
    ...feeSettings(config),
    auditHead: () => state.audit.head(),
    // A refused use of an altered snapshot is audited as the operating-system user (the message goes to stderr).
    onAltered: (e) =>
      void state.audit
        .append({
          who: cliActor(),
          action: 'snapshot-altered',
          what: { period: e.period, taxpayer: e.taxpayer, version: e.version, use: e.use },
        })
        .catch((err: unknown) => console.error(`audit line not written: ${String(err)}`)),
  });
  return { periods, seals, sealing, registry, config, state };
}

/** One entry for every period subcommand; `service` for tests. */
export async function periodsMain(
  sub: 'close' | 'reopen' | 'export' | 'verify' | 'periods',
  argv: string[],
  service?: PeriodService,
  print: (s: string) => void = (s) => console.log(s),
): Promise<number> {
  const { values: v } = parseArgs({ args: argv, options: OPTIONS, strict: true });
  if (v.help) {
    print(PERIOD_HELP[sub]);
    return 0;
  }
  if (sub !== 'periods' && !v.period) {
    console.error(`kzmeter ${sub}: --period is required. Run "kzmeter ${sub} --help" for its options.`);
    return 2;
  }
  const version = v.version === undefined ? undefined : Number(v.version);
  if (version !== undefined && !(Number.isInteger(version) && version >= 1)) {
    console.error('--version must be a whole number >= 1');
    return 2;
  }
  if (v.lang !== undefined && !isLang(v.lang)) {
    console.error(`--lang must be one of ${LANGS.join(', ')}`);
    return 2;
  }
  const lang = cliLang(v.lang);
  const M = cliMessages(lang);
  const svc = service ?? (await cliPeriodService(v.config));
  // The audit trail records what the command line did as the operating-system user (not for injected services).
  const audit = service
    ? async () => {}
    : (input: Omit<AuditInput, 'who'>) => cliAudit(loadConfig(v.config ? { file: v.config } : {}), input);
  const period = v.period ?? '';
  const by = v.by ?? userInfo().username;
  const opts = { ...(v.taxpayer && { taxpayer: v.taxpayer }), ...(version && { version }) };
  const failed = (r: { status: number; reason: string; code?: string }) => {
    console.error(r.reason);
    // An altered snapshot is a failed check (as verify's difference), not a bad command line.
    return r.status >= 500 || r.code === SNAPSHOT_ALTERED ? 1 : 2;
  };
  switch (sub) {
    case 'periods':
      print(JSON.stringify(await svc.list(), null, 2));
      return 0;
    case 'close': {
      if (v.preview) {
        const pv = await svc.preview(period, v.taxpayer ?? null);
        if (!pv.ok) return failed(pv);
        print(previewText(pv.value, lang));
        return 0;
      }
      const r = await svc.close({
        period,
        closedBy: by,
        ...(v.taxpayer && { taxpayer: v.taxpayer }),
        ...(v.reason && { reason: v.reason }),
        ...(v.acknowledge && { acknowledgement: v.acknowledge }),
      });
      if (!r.ok && r.code === NEEDS_ACKNOWLEDGEMENT) {
        // Issue 26: say how to close anyway and what amount is at stake, not only what is wrong.
        const pv = await svc.preview(period, v.taxpayer ?? null);
        console.error(M.cli.refused(r.reason, pv.ok ? tenge(pv.value.totalAmountTiyn, lang) : '?'));
        return 2;
      }
      if (!r.ok) return failed(r);
      const s = r.value.snapshot;
      await audit({
        action: 'close',
        what: {
          period: s.period,
          taxpayer: s.taxpayerScope ?? null,
          version: s.version,
          created: r.value.created,
          by,
          ...(r.value.created && s.acknowledgement && { acknowledgement: s.acknowledgement.reason }),
        },
        digest: s.digest,
      });
      const amount = tenge(s.declaredTotalTiyn, lang);
      print((r.value.created ? M.cli.closed : M.cli.alreadyClosed)(s.period, s.version, s.digest, amount));
      return 0;
    }
    case 'reopen': {
      const r = await svc.reopen({
        period,
        reopenedBy: by,
        reason: v.reason ?? null,
        ...(v.taxpayer && { taxpayer: v.taxpayer }),
      });
      if (!r.ok) return failed(r);
      await audit({
        action: 'reopen',
        what: { period, taxpayer: v.taxpayer ?? null, version: r.value.reopenedVersion, by },
      });
      print(M.cli.reopened(period, r.value.reopenedVersion));
      return 0;
    }
    case 'export': {
      const fmt = v.format ?? 'all';
      const formats = fmt === 'all' ? FORMATS : FORMATS.filter((f) => f === fmt);
      if (!formats.length) {
        console.error(`--format must be one of ${FORMATS.join(', ')}, all`);
        return 2;
      }
      for (const f of formats) {
        const r = await svc.export(period, f, { ...opts, lang, ...(v.bom !== undefined && { bom: v.bom }) });
        if (!r.ok) return failed(r);
        const s = r.value.snapshot;
        await audit({
          action: 'export',
          what: { period: s.period, taxpayer: s.taxpayerScope ?? null, version: s.version, file: f },
          digest: createHash('sha256').update(r.value.body).digest('hex'),
        });
        const name = `kzmeter-${s.period}${s.taxpayerScope ? `-${s.taxpayerScope}` : ''}-v${s.version}${f === 'totals.csv' ? '-totals.csv' : `.${f}`}`;
        if (v.out) {
          mkdirSync(v.out, { recursive: true });
          writeFileSync(join(v.out, name), r.value.body);
          // Its Ed25519 signature beside it (issue 24): { keyId, signature } over the file's exact bytes.
          if (r.value.signature)
            writeFileSync(
              join(v.out, `${name}.sig`),
              `${JSON.stringify({ algorithm: 'Ed25519', ...r.value.signature })}\n`,
            );
          print(join(v.out, name)); // the bare path: scripts read it
        } else print(r.value.body);
      }
      return 0;
    }
    case 'verify': {
      const r = await svc.verify(period, opts);
      if (!r.ok) return failed(r);
      print(JSON.stringify(r.value, null, 2));
      return r.value.ok ? 0 : 1;
    }
  }
}
