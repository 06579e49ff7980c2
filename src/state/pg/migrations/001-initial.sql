-- kzmeter state in PostgreSQL (issue 25): users, dashboard sessions, period snapshots, the audit trail.
-- Immutable versions are primary keys: a second writer of one version fails instead of replacing it.

CREATE TABLE kzm_users (
  name text PRIMARY KEY,
  -- the user's record as in users.json (validated when read back)
  doc jsonb NOT NULL,
  -- insertion order, as the users file keeps it
  pos bigserial NOT NULL
);

CREATE TABLE kzm_sessions (
  -- SHA-256 (hex) of the session id: the id itself is never stored
  key char(64) PRIMARY KEY,
  username text NOT NULL,
  expires_ms bigint NOT NULL,
  created_ms bigint NOT NULL
);
CREATE INDEX kzm_sessions_expires ON kzm_sessions (expires_ms);
CREATE INDEX kzm_sessions_created ON kzm_sessions (created_ms);

CREATE TABLE kzm_snapshots (
  period text NOT NULL,
  -- '' for a close of every taxpayer, else the BIN
  taxpayer text NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  -- the exact bytes of v<N>.json (canonical JSON and a newline)
  bytes text NOT NULL,
  -- the exact bytes of v<N>.sig.json, when signed
  signature text,
  PRIMARY KEY (period, taxpayer, version)
);

CREATE TABLE kzm_reopens (
  period text NOT NULL,
  taxpayer text NOT NULL,
  version integer NOT NULL,
  -- the exact bytes of reopen-v<N>.json
  bytes text NOT NULL,
  PRIMARY KEY (period, taxpayer, version),
  FOREIGN KEY (period, taxpayer, version) REFERENCES kzm_snapshots (period, taxpayer, version)
);

CREATE TABLE kzm_audit (
  seq bigint PRIMARY KEY CHECK (seq >= 1),
  -- the exact JSON line, as audit.log holds it
  line text NOT NULL,
  hash char(64) NOT NULL
);
