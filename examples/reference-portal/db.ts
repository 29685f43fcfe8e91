/**
 * The portal's SQLite store: one file, WAL, numbered migrations recorded in schema_migrations.
 * Each migration runs once, inside a transaction, in order.
 */
import Database from 'better-sqlite3';

export type PortalDb = Database.Database;

const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'accounts, bindings, challenges, sessions, audit',
    sql: `
      CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind = 'legal'),
        username TEXT NOT NULL,
        username_key TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        org_name TEXT NOT NULL,
        uscc TEXT NOT NULL,
        legal_person_kind TEXT,
        leader_name TEXT NOT NULL,
        leader_id_number TEXT NOT NULL,
        legal_person_name TEXT NOT NULL,
        legal_person_id_number TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX accounts_uscc ON accounts (uscc);
      CREATE TABLE certificate_bindings (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        uscc TEXT NOT NULL,
        fingerprint TEXT NOT NULL UNIQUE,
        subject TEXT NOT NULL,
        not_after TEXT NOT NULL,
        bound_at TEXT NOT NULL
      );
      CREATE INDEX bindings_account ON certificate_bindings (account_id);
      CREATE TABLE challenges (
        challenge TEXT PRIMARY KEY,
        issued_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
      );
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        method TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        method TEXT,
        username TEXT,
        account_id INTEGER,
        uscc TEXT,
        fingerprint TEXT,
        result TEXT NOT NULL,
        ip TEXT
      );
      CREATE TABLE login_failures (
        username_key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        window_start TEXT NOT NULL,
        locked_until TEXT
      );
    `,
  },
  {
    version: 2,
    name: 'challenges bound to a pre-session cookie',
    sql: `ALTER TABLE challenges ADD COLUMN bound_to TEXT;`,
  },
  {
    // A fingerprint changes when the same certificate is re-encoded (ECDSA (r, n-s), BER lengths):
    // bindings are found by issuer + serial number instead, and a key binds to one account only.
    // Rows bound before this migration hold only the fingerprint (the portal never kept the
    // certificate): they gain issuer + serial at the next login or binding with that exact encoding.
    version: 3,
    name: 'bindings by issuer + serial number; the key (SPKI SHA-256) beside them',
    sql: `
      ALTER TABLE certificate_bindings ADD COLUMN issuer_serial TEXT;
      ALTER TABLE certificate_bindings ADD COLUMN spki_sha256 TEXT;
      CREATE UNIQUE INDEX bindings_issuer_serial ON certificate_bindings (issuer_serial);
      CREATE INDEX bindings_spki ON certificate_bindings (spki_sha256);
    `,
  },
];

export function openPortalDb(file: string): PortalDb {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/** Runs the migrations not yet applied (up to `upTo`, for tests of upgrades from an older store). */
export function migrate(db: PortalDb, opts: { upTo?: number } = {}): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const done = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.version) || m.version > (opts.upTo ?? Infinity)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
    })();
    applied.push(m.version);
  }
  return applied;
}
