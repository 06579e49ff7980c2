import { z } from 'zod';
import { LANGS } from '../i18n/lang.js';

const port = z.number().int().min(0).max(65535);
const url = z.string().regex(/^[a-z][a-z0-9+.-]*:\/\/\S+$/i, 'a URL such as mqtt://host:1883 or http://host:8086');

export const configSchema = z.strictObject({
  /** Folder of the device registry (taxpayers, sites, meters, rigs). */
  registryDir: z.string().min(1).default('devices'),
  /** Folder of the tariff schedules (YAML), see tariffs/README.md. */
  tariffsDir: z.string().min(1).default('tariffs'),
  /** Folder for local state: the local influxd's data, spool, snapshots. */
  dataDir: z.string().min(1).default('data'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  http: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: port.default(8080),
      /** Let requests without credentials act as admin (labs only; warned at start, refused off loopback). */
      allowAnonymous: z.boolean().default(false),
      /** The origin browsers reach the service at behind a proxy (https://host[:port]); Host and Origin must name
       *  it, a loopback name or the listen address (DNS rebinding). */
      publicOrigin: z
        .string()
        .regex(/^https?:\/\/[^/\s?#@]+$/, 'an origin such as https://kzmeter.example.kz (scheme, host, port; no path)')
        .optional(),
      /** Language of pages and exports when neither ?lang=, the user's profile nor Accept-Language chooses one. */
      defaultLang: z.enum(LANGS).default('en'),
    })
    .prefault({}),
  mqtt: z
    .strictObject({
      /** External broker; when unset `serve` runs the embedded aedes broker. */
      brokerUrl: url.optional(),
      embeddedHost: z.string().default('127.0.0.1'),
      embeddedPort: port.default(1883),
      /** Fixed client id of the ingest subscription (persistent session, clean=false). */
      clientId: z.string().min(1).max(64).default('kzmeter-ingest'),
      username: z.string().optional(),
      password: z.string().optional(),
      /** Shared-subscription group ($share/<group>/...) so several ingesters split one stream; external brokers only. */
      sharedGroup: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"')
        .optional(),
      /** Messages handed to the writer but not yet acknowledged (back-pressure window). */
      maxInflight: z.number().int().min(1).max(60_000).default(10_000),
      /** Payload bytes of unacknowledged messages from an external broker, at most (batches weigh more than single readings). */
      maxInflightBytes: z
        .number()
        .int()
        .min(1024)
        .max(1024 ** 3)
        .default(1024 ** 2),
      /** Publish Home Assistant MQTT discovery (sensor per meter, device_class energy) and each meter's register. */
      homeAssistantDiscovery: z.boolean().default(false),
      /** Home Assistant's discovery prefix. */
      homeAssistantPrefix: z
        .string()
        .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'topic levels of letters, digits, "_" or "-"')
        .default('homeassistant'),
      /** How often (at most) a meter's register is republished for Home Assistant. */
      homeAssistantStateIntervalMs: z.number().int().min(100).max(3_600_000).default(10_000),
      /** Embedded broker: let clients in without credentials, with every right (labs only; warned at start,
       *  refused on a non-loopback address). */
      allowAnonymous: z.boolean().default(false),
      /** MQTT identities (hashes only, see `kzmeter credentials`); default `<registryDir>/credentials.yaml`. */
      credentialsFile: z.string().min(1).optional(),
      /** Embedded broker: the plain TCP listener (embeddedPort); false leaves only mqtts. */
      plainTcp: z.boolean().default(true),
      /** Embedded broker: a connection that has not sent CONNECT (on mqtts: not finished its TLS handshake) this
       *  long after it opened is closed. */
      connectTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
      /** Embedded broker: a retained status larger than this is delivered but not retained. */
      retainedMaxBytes: z.number().int().min(16).max(65_536).default(1024),
      /** Embedded broker: live connections one identity may hold (a gateway: at least one per meter it carries). */
      maxConnectionsPerIdentity: z.number().int().min(1).max(100_000).default(8),
      /** Embedded broker: an mqtts listener (PEM files). */
      tls: z
        .strictObject({
          port: port.default(8883),
          certFile: z.string().min(1),
          keyFile: z.string().min(1),
          /** CA chain sent with the certificate. */
          caFile: z.string().min(1).optional(),
        })
        .optional(),
    })
    .prefault({}),
  influx: z
    .strictObject({
      /** InfluxDB URL; when unset `serve` starts a local influxd from PATH. */
      url: url.optional(),
      /** 1: database + retention policy (1.x, incl. Debian's 1.6); 2: org/bucket/token; 3: database + token (3.x Core). */
      apiVersion: z.enum(['1', '2', '3']).default('1'),
      database: z.string().min(1).default('kzmeter'),
      retentionPolicy: z.string().optional(),
      org: z.string().optional(),
      bucket: z.string().optional(),
      token: z.string().optional(),
      username: z.string().optional(),
      password: z.string().optional(),
      createIfMissing: z.boolean().default(true),
      /**
       * How long InfluxDB keeps what the service stores, when the service creates the database or bucket (0:
       * for ever). 6 years: the tax-audit limitation period and the running year (docs/deploy.md, Retention).
       */
      retentionDays: z.number().int().min(0).max(36_500).default(2192),
      /** Binary used for the local InfluxDB. */
      influxdPath: z.string().default('influxd'),
      batchSize: z.number().int().min(1).max(100_000).default(5000),
      /** Linger before a write so concurrent messages share one batch (group commit); batches also form while a write is in flight. */
      flushIntervalMs: z.number().int().min(0).max(60_000).default(5),
      timeoutMs: z.number().int().min(100).max(600_000).default(10_000),
    })
    .prefault({}),
  ingest: z
    .strictObject({
      /** Largest MQTT payload accepted (bytes); larger ones are rejected as 'oversized'. */
      maxPayloadBytes: z
        .number()
        .int()
        .min(64)
        .max(16 * 1024 * 1024)
        .default(256 * 1024),
      /** Readings more than this far ahead of the server clock are rejected as 'future-timestamp'. */
      maxFutureSkewS: z
        .number()
        .int()
        .min(0)
        .max(86_400 * 30)
        .default(300),
      /** How much of a rejected payload is kept in the `rejected` measurement. */
      rejectedPayloadMaxBytes: z.number().int().min(0).max(65_536).default(1024),
      /** Durable local spool in front of the writer (<dataDir>/spool): acknowledge once fsynced there, replay to InfluxDB in order. */
      spool: z
        .strictObject({
          enabled: z.boolean().default(false),
          /** Unreplayed bytes at most; when full, acknowledgements wait (back-pressure), nothing is dropped. */
          maxBytes: z
            .number()
            .int()
            .min(64 * 1024)
            .max(2 ** 40)
            .default(512 * 1024 * 1024),
          /** Size of one log segment file; replayed segments are deleted whole. */
          segmentBytes: z
            .number()
            .int()
            .min(64 * 1024)
            .max(1024 * 1024 * 1024)
            .default(16 * 1024 * 1024),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Substitution policy and rounding (docs/fees.md); a ledger request may still name its policy. */
  fees: z
    .strictObject({
      /** strict: every gap, last will, fault, reset or spike at max load x hours; register-reconciled: see docs/fees.md. */
      policy: z.enum(['strict', 'register-reconciled']).default('strict'),
      /** A gap longer than this many reporting intervals is not metered. */
      graceIntervals: z.number().int().min(1).max(1000).default(3),
      /** Implied power above max load x this is a spike. */
      spikeTolerance: z.number().min(1).max(100).default(1.1),
      /** Round declared lines this way instead of the tariff file's rule (half-up-tiyn or half-up-tenge). */
      roundingOverride: z.enum(['half-up-tiyn', 'half-up-tenge']).optional(),
    })
    .prefault({}),
  /** Where the state lives (issue 25): users, sessions, period snapshots, the audit trail. */
  state: z
    .strictObject({
      /** Unset: files under dataDir (one instance). postgres://user:password@host:port/db: PostgreSQL, shared by
       *  every instance behind one address (docs/deploy.md "Two instances"). Never logged with its password. */
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\/[^\s]+$/, 'a postgres:// URL naming user, password, host, port and database')
        .refine((u) => URL.canParse(u), 'not a valid URL')
        .optional(),
    })
    .prefault({}),
  /** The audit trail (<dataDir>/audit/audit.log) and its HMAC keys, kept apart from it. */
  audit: z
    .strictObject({
      /** The HMAC key file (0600); default <dataDir>/auth/audit-keys.json. Another mount keeps it from the log. */
      keyFile: z.string().min(1).optional(),
    })
    .prefault({}),
  /** The installation's Ed25519 signing keys (seals, snapshots, exports, audit lines); see README "Security". */
  signing: z
    .strictObject({
      /** The key file (0600); default <dataDir>/auth/signing-keys.json (made at the first start). */
      keyFile: z.string().min(1).optional(),
      /** An Ed25519 private key (PKCS#8 PEM) supplied by the operator, e.g. a mounted secret: it signs instead. */
      privateKeyFile: z.string().min(1).optional(),
    })
    .prefault({}),
  /** Daily seals of the readings per site and local day (src/seal). */
  seal: z
    .strictObject({
      /** A local day is sealed once it ended this many hours ago (late readings still arrive meanwhile). */
      lateWindowH: z
        .number()
        .int()
        .min(0)
        .max(24 * 90)
        .default(48),
      /** How often the service looks for days to seal (ms). */
      intervalMs: z.number().int().min(1000).max(86_400_000).default(600_000),
      /** Meters read per InfluxDB request while sealing or verifying (bounds memory: a day of each at a time). */
      metersPerRequest: z.number().int().min(1).max(500).default(20),
    })
    .prefault({}),
  /** Hour and day rollups kept current as readings arrive (src/rollup); the ledger reads them. */
  rollup: z
    .strictObject({
      /**
       * How long a newly marked meter-hour waits for its pass (ms), gathering more; hours marked again during a pass
       * wait it too. Only a backlog (a full pass, recovery) or a waiting flush runs passes back to back.
       */
      intervalMs: z.number().int().min(10).max(60_000).default(1000),
      /** Recompute each hour once more this long after its last write (ms), for several ingesters on one
       *  shared subscription; 0 = off. Unset: 10000 when mqtt.sharedGroup is set, else 0. */
      settleMs: z.number().int().min(0).max(600_000).optional(),
      /** At most this many meter-hours per pass. */
      maxHoursPerPass: z.number().int().min(1).max(1_000_000).default(20_000),
      /** Without a checkpoint in dataDir (first start), recover the durable marks of this many hours back. */
      recoverLookbackH: z
        .number()
        .int()
        .min(0)
        .max(24 * 366)
        .default(24),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
