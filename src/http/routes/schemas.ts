/**
 * Response schemas of the HTTP API, in zod: fastify-type-provider-zod checks every answer against them and
 * @fastify/swagger turns them (and the request schemas) into /openapi.json. Objects are loose where the
 * answer is large (the ledger report): the named fields are described and checked, further fields pass.
 */
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * Route options that let zod schemas work on any Fastify instance (the compilers travel with the route).
 * Typed as a plain object: Fastify's route types would tie the compilers to each route's schema type.
 */
export const zodCompilers: object = { validatorCompiler, serializerCompiler };

/** For a route whose handler checks its input itself (with its own messages): schemas document it only. */
export const documentedInput: object = {
  validatorCompiler: () => (value: unknown) => ({ value }),
  serializerCompiler,
};

/** The one error shape of every error answer (our routes, validation, 404, 5xx). */
export const errorSchema = z
  .strictObject({
    error: z.string().describe('What went wrong, as a sentence'),
    code: z
      .string()
      .optional()
      .describe('Stable code of the error, for programs (e.g. `rollups-behind`, `snapshot-altered`)'),
  })
  .describe('Error');

/** Error answers for these status codes. */
export const errors = <C extends number>(...codes: C[]): Record<C, typeof errorSchema> =>
  Object.fromEntries(codes.map((c) => [c, errorSchema])) as Record<C, typeof errorSchema>;

const iso = z.string().describe('ISO-8601 instant (UTC)');

export const meterSchema = z.strictObject({
  id: z.string(),
  site: z.string(),
  taxpayer: z.string().describe('BIN of the taxpayer whose rigs the meter measures'),
  energySource: z.enum(['grid', 'renewable', 'own-offgrid']).optional(),
  reportingIntervalS: z.number().int(),
  maxLoadKw: z.number(),
  status: z.enum(['online', 'offline', 'fault', 'never-seen']),
  statusSince: iso.nullable(),
  lastReadingAt: iso.nullable().describe("The newest reading's own time"),
  lastReceivedAt: iso.nullable(),
  lastKw: z.number().nullable(),
  lastRegisterKwh: z.number().nullable(),
});

export const meterListSchema = z.strictObject({ meters: z.array(meterSchema) });

export const healthSchema = z
  .looseObject({
    status: z.enum(['ok', 'degraded']),
    broker: z.looseObject({
      mode: z.enum(['embedded', 'external']),
      url: z.string().optional().describe('Admins only, credentials replaced by ***'),
      connected: z.boolean(),
      clients: z.number().int().optional(),
    }),
    influx: z.looseObject({
      url: z.string().optional().describe('Admins only, credentials replaced by ***'),
      apiVersion: z.string(),
      reachable: z.boolean(),
      error: z.string().optional(),
    }),
    ingest: z.looseObject({
      pendingLines: z.number().int(),
      writing: z.boolean(),
      consecutiveWriteFailures: z.number().int(),
      writeFailing: z
        .looseObject({ cause: z.string(), since: z.string(), attempts: z.number().int() })
        .optional()
        .describe('Only while writes fail: "token refused", "database missing", "InfluxDB unreachable", ...'),
      lastWriteError: z.string().optional(),
      lastWriteErrorAt: z.string().optional(),
      recoveredFrom: z
        .looseObject({
          cause: z.string(),
          error: z.string().optional(),
          failedForS: z.number().int(),
          recoveredAt: z.string(),
        })
        .optional()
        .describe('The last write failure after writes recovered (kept 15 minutes)'),
    }),
    spool: z
      .looseObject({
        bytes: z.number().int(),
        maxBytes: z.number().int(),
        oldestAgeS: z.number().int(),
        full: z.boolean(),
        failing: z
          .looseObject({
            stage: z.enum(['append', 'replay', 'directory']),
            cause: z.string(),
            error: z.string(),
            since: z.string(),
            attempts: z.number().int(),
          })
          .optional()
          .describe('Only while the disk refuses the spool: "no space", "read-only", "permission denied", "I/O error"'),
      })
      .optional()
      .describe(
        'With ingest.spool on: unreplayed bytes, oldest record age; full or failing (append) = acknowledgements wait',
      ),
  })
  .describe('200 when everything is ok, 503 when degraded (same body)');

const totals = z.looseObject({
  lineCount: z.number().int(),
  energyWh: z.number().int(),
  meteredWh: z.number().int(),
  substitutedWh: z.number().int(),
  feeMilliTiyn: z.number().int().describe('Exact sum of the ledger lines'),
});

export const ledgerReportSchema = z.looseObject({
  period: z.looseObject({
    label: z.string(),
    from: iso,
    to: iso,
    timeZones: z.array(z.string()),
    complete: z.boolean().describe('false: the period is running; the ledger runs to asOf'),
    asOf: iso.optional(),
  }),
  scope: z.looseObject({ site: z.string().optional(), taxpayer: z.string().optional(), meters: z.array(z.string()) }),
  policy: z.looseObject({ name: z.enum(['strict', 'register-reconciled']) }),
  registryVersion: z.string(),
  tariffs: z.array(z.looseObject({ id: z.string(), version: z.number().int() })),
  totals: totals.extend({
    energyKwh: z.string(),
    feeTenge: z.string(),
    declaredTiyn: z.number().int().describe('Amount due: the sum of the rounded declared lines'),
    declaredTenge: z.string(),
  }),
  declared: z.array(
    z.looseObject({
      taxpayerBin: z.string(),
      taxQuarter: z.string(),
      energySource: z.string(),
      basis: z.enum(['metered', 'substituted']),
      rateTiynPerKwh: z.number().int(),
      feeMilliTiyn: z.number().int(),
      amountTiyn: z.number().int(),
    }),
  ),
  summaries: z.looseObject({ total: totals, byMeter: z.array(totals.extend({ key: z.string() })) }),
  outageCost: z.looseObject({ milliTiyn: z.number().int(), tenge: z.string() }),
  lines: z.array(
    z.looseObject({
      meterId: z.string(),
      from: iso,
      to: iso,
      basis: z.enum(['metered', 'substituted']),
      reason: z.string().optional(),
      energySource: z.string(),
      energyWh: z.number().int(),
      rateTiynPerKwh: z.number().int(),
      feeMilliTiyn: z.number().int(),
    }),
  ),
});
