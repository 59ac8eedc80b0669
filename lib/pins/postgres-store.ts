/**
 * The PostgreSQL pin store (`store.ts` is the seam it implements): one pin record shared by every
 * instance of the proxy, so that a version served by one is served with the same bytes by all.
 *
 * - One table, `git_goproxy_pins`, keyed by (project, module, version), created when missing; a
 *   second, `git_goproxy_schema`, holds the schema version so that later changes can migrate.
 * - The first writer wins: `INSERT … ON CONFLICT DO NOTHING RETURNING`, and a writer that got no
 *   row back reads the winner with a separate `SELECT` (one statement that inserts or selects can
 *   miss a row another transaction is committing). A zip hash is added with an `UPDATE … WHERE zip
 *   IS NULL`, and read back the same way.
 * - Cheap when healthy: pins are immutable, so those seen are kept in memory (bounded, least
 *   recently used out): the database is asked once per version per process, and a pinned version's
 *   zip streams with no round trip. A version not pinned is asked again on its next request, so a
 *   pin made by another instance is seen at once. Start-up reads nothing but the schema version.
 * - Safe when the database is not: every call is bounded by `timeoutMs` (connect and query); a
 *   failure is an `unavailable` error that the proxy answers with 503 and `Retry-After`, never a
 *   hang and never an unpinned answer. While the database is unreachable `available` is false (for
 *   `/-/ready`) and a probe every second notices its return; the pool reconnects on its own.
 * - The schema is checked (and made or migrated) again after every failure: the database that
 *   answers next may be another one (a failed-over standby, a restore) whose tables are missing or
 *   older. Tables that were there before and are gone are made again, empty, with a warning.
 *
 * The `pg` client is loaded only when this store is opened, so installs that keep pins in a file do
 * not load it.
 */
import { ConfigError, ProxyError } from '../common/errors.ts';
import { ImmutableCache } from '../common/immutable-cache.ts';
import { isPseudoVersion } from '../modules/pseudo.ts';
import * as semver from '../modules/semver.ts';
import {
  agrees,
  assertPin,
  moduleKey,
  type Pin,
  PinConflictError,
  pinKey,
  type PinStore,
  type PinStoreHealth,
  UNOWNED,
} from './store.ts';
import type { Pool, PoolConfig } from 'pg';

export interface PostgresPinStoreOptions {
  /** `postgres://user[:password]@host:port/database`; a password may also come from PGPASSWORD or ~/.pgpass. */
  readonly url: string;
  /** Most milliseconds one database call may take, waiting for a connection included. Default 5000. */
  readonly timeoutMs?: number;
  /** Pins kept in memory. Default 100,000 (a few hundred bytes each). */
  readonly cachedPins?: number;
  /** Where one-line warnings go (never with the password). */
  readonly warn?: (message: string) => void;
}

/** The schema this code reads and writes; `MIGRATIONS[n]` brings version n to n + 1. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS git_goproxy_pins (
     project text NOT NULL,
     module text NOT NULL,
     version text NOT NULL,
     commit text NOT NULL,
     time text NOT NULL,
     mod text NOT NULL,
     zip text,
     pinned_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (module, version, project)
   )`,
];
const SCHEMA_VERSION = MIGRATIONS.length;

/** Any number: serialises migrations between instances that start at once. */
const MIGRATION_LOCK = 0x67697467;

const COLUMNS = 'project, module, version, commit, time, mod, zip';
const PAGE = 1000;
const PROBE_INTERVAL_MS = 1000;

interface PinRow {
  project: string;
  module: string;
  version: string;
  commit: string;
  time: string;
  mod: string;
  zip: string | null;
}

export class PostgresPinStore implements PinStore {
  readonly #url: string;
  #pool: Promise<Pool> | undefined;
  readonly #timeoutMs: number;
  readonly #warn: (message: string) => void;
  /** Pins seen, by key: immutable but for a zip hash that may be added (then replaced here). */
  readonly #pins: ImmutableCache<Pin | undefined>;
  /** The last `versions` answer per module, served while the database is unreachable. */
  readonly #lastVersions = new ImmutableCache<readonly string[]>({
    maxEntries: 10_000,
    maxWeight: 1_000_000,
    weigh: (versions) => versions.length + 1,
  });
  readonly #health: PinStoreHealth = { available: true, errors: 0, calls: 0, seconds: 0 };
  /** Pins being written, by key: `get()` sees them at once, so racing requests agree; `close()` waits for them. */
  readonly #pending = new Map<string, { pin: Pin; written: Promise<void> }>();
  #probe: NodeJS.Timeout | undefined;
  #migrated: Promise<void> | undefined;
  /** Whether the schema was found or made once: its later absence is a database that lost it. */
  #schemaSeen = false;
  /** Set by `close()`: no new records. */
  #closed = false;
  /** Set once the pool is ended: no calls at all. */
  #ended = false;

  private constructor(options: PostgresPinStoreOptions, password: string) {
    this.#url = options.url;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    const warn = options.warn ?? (() => {});
    // Nothing the store logs may show the password, whatever a driver error quotes.
    this.#warn = (message) => warn(password === '' ? message : message.split(password).join('***'));
    const cachedPins = options.cachedPins ?? 100_000;
    // An absent pin is asked again next time: another instance may pin the version meanwhile.
    this.#pins = new ImmutableCache<Pin | undefined>({
      maxEntries: cachedPins,
      keep: (pin) => pin !== undefined,
    });
  }

  /**
   * A store over the database at `options.url` (a `ConfigError` on `pins` when it is not a
   * `postgres://` URL). Nothing is loaded or connected until the first call, and the schema is made
   * (or migrated) then: a database that is down at start-up delays nothing, the store is
   * unavailable until it answers.
   */
  static open(options: PostgresPinStoreOptions): PostgresPinStore {
    return new PostgresPinStore(options, postgresUrlPassword(options.url));
  }

  /** Loads the client and makes the pool, on first use. */
  async #createPool(): Promise<Pool> {
    const { default: pg } = await import('pg');
    const config: PoolConfig = {
      connectionString: this.#url,
      max: 8,
      connectionTimeoutMillis: this.#timeoutMs,
      query_timeout: this.#timeoutMs,
      statement_timeout: this.#timeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'git-goproxy',
    };
    const pool = new pg.Pool(config);
    // A connection that the server drops while idle must not crash the process.
    pool.on('error', (error) => this.#failed(error));
    return pool;
  }

  get health(): PinStoreHealth {
    return this.#health;
  }

  get(project: string, module: string, version: string): Promise<Pin | undefined> {
    const pending = this.#pending.get(pinKey(project, module, version));
    if (pending !== undefined) return Promise.resolve(pending.pin);
    return this.#pins.get(pinKey(project, module, version), () => this.#select(project, module, version));
  }

  async versions(project: string, module: string): Promise<readonly string[]> {
    const key = moduleKey(project, module);
    let rows: { version: string }[];
    try {
      rows = await this.#query<{ version: string }>(
        'SELECT DISTINCT version FROM git_goproxy_pins WHERE module = $1 AND project IN ($2, $3)',
        [module, project, UNOWNED],
      );
    } catch (error) {
      // A list is a hint of what exists: the last one seen beats no answer.
      const last = this.#lastVersions.peek(key);
      if (last !== undefined) return last;
      throw error;
    }
    const versions = semver.sortVersions(rows.map((row) => row.version).filter((version) => !isPseudoVersion(version)));
    this.#lastVersions.set(key, versions);
    return versions;
  }

  async record(pin: Pin): Promise<void> {
    assertPin(pin);
    if (this.#closed) throw new Error('PostgreSQL pin store: closed');
    const key = pinKey(pin.project, pin.module, pin.version);
    const pending = this.#pending.get(key);
    if (pending !== undefined) {
      // Racing requests in this process agree at once; the one already writing decides for both.
      if (!agrees(pending.pin, pin)) throw new PinConflictError(pending.pin, pin);
      await pending.written;
      if (pin.zip === undefined || pending.pin.zip !== undefined) return;
    }
    const written = this.#write(pin);
    this.#pending.set(key, { pin, written });
    try {
      await written;
    } finally {
      if (this.#pending.get(key)?.written === written) this.#pending.delete(key);
    }
  }

  async *all(): AsyncGenerator<Pin> {
    let after: [string, string, string] = ['', '', ''];
    for (;;) {
      const rows = await this.#query<PinRow>(
        `SELECT ${COLUMNS} FROM git_goproxy_pins WHERE (module, version, project) > ($1, $2, $3) ORDER BY module, version, project LIMIT ${PAGE}`,
        after,
      );
      for (const row of rows) yield fromRow(row);
      if (rows.length < PAGE) return;
      const last = rows.at(-1)!;
      after = [last.module, last.version, last.project];
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#pending.values()].map(({ written }) => written));
    clearInterval(this.#probe);
    this.#probe = undefined;
    this.#ended = true;
    if (this.#pool === undefined) return;
    // Ending the pool waits for checked-out clients; a server that is gone must not hold up shutdown.
    const ending = this.#pool.then((pool) => pool.end());
    await withTimeout(ending, this.#timeoutMs, 'closing the PostgreSQL pool').catch((error: Error) =>
      this.#warn(error.message)
    );
  }

  /**
   * Inserts a pin unless the version is pinned (by the project, or by an old `UNOWNED` record), then
   * holds it to the winner, adding a zip hash the winner lacks. One statement when nothing races.
   */
  async #write(pin: Pin): Promise<void> {
    const known = this.#pins.peek(pinKey(pin.project, pin.module, pin.version));
    if (known !== undefined) {
      if (!agrees(known, pin)) throw new PinConflictError(known, pin);
      if (pin.zip === undefined || known.zip !== undefined) return;
      return this.#addZip(known.project, pin);
    }
    const inserted = await this.#query<PinRow>(
      `INSERT INTO git_goproxy_pins (${COLUMNS}) SELECT $1, $2, $3, $4, $5, $6, $7
         WHERE NOT EXISTS (SELECT 1 FROM git_goproxy_pins WHERE module = $2 AND version = $3 AND project = $8)
       ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
      [pin.project, pin.module, pin.version, pin.commit, pin.time, pin.mod, pin.zip ?? null, UNOWNED],
    );
    if (inserted.length === 1) {
      this.#remember(pin.project, fromRow(inserted[0]!));
      return;
    }
    const winner = await this.#winner(pin);
    if (!agrees(winner, pin)) throw new PinConflictError(winner, pin);
    if (pin.zip !== undefined && winner.zip === undefined) await this.#addZip(winner.project, pin);
  }

  /** The pool, made on first use (a failed load is tried again by the next call). */
  #poolInUse(): Promise<Pool> {
    return (this.#pool ??= this.#createPool().catch((error: unknown) => {
      this.#pool = undefined;
      throw error;
    }));
  }

  /** A project's own pin of a version, else an `UNOWNED` one. */
  async #select(project: string, module: string, version: string): Promise<Pin | undefined> {
    const rows = await this.#query<PinRow>(
      `SELECT ${COLUMNS} FROM git_goproxy_pins WHERE module = $1 AND version = $2 AND project IN ($3, $4)`,
      [module, version, project, UNOWNED],
    );
    const row = rows.find((each) => each.project === project) ?? rows[0];
    return row === undefined ? undefined : fromRow(row);
  }

  /** The pin that won the race for `pin`'s version (it exists: the insert found one). */
  async #winner(pin: Pin): Promise<Pin> {
    const winner = await this.#select(pin.project, pin.module, pin.version);
    if (winner === undefined) {
      throw new Error(
        `PostgreSQL pin store: ${pin.module}@${pin.version} conflicted on insert but is not in the table`,
      );
    }
    return this.#remember(pin.project, winner);
  }

  /** Adds the zip hash to the pin recorded under `project`, or finds that another writer added one first. */
  async #addZip(project: string, pin: Pin): Promise<void> {
    const updated = await this.#query<PinRow>(
      `UPDATE git_goproxy_pins SET zip = $4 WHERE module = $1 AND version = $2 AND project = $3 AND zip IS NULL RETURNING ${COLUMNS}`,
      [pin.module, pin.version, project, pin.zip],
    );
    const now = updated.length === 1 ? this.#remember(pin.project, fromRow(updated[0]!)) : await this.#winner(pin);
    if (!agrees(now, pin)) throw new PinConflictError(now, pin);
  }

  /** Keeps a pin seen under `project` (an `UNOWNED` pin answers for the project that asked). */
  #remember(project: string, pin: Pin): Pin {
    this.#pins.set(pinKey(project, pin.module, pin.version), pin);
    return pin;
  }

  /** One bounded database call; the schema is made first. Failures become `unavailable` errors. */
  async #query<Row>(sql: string, values: readonly unknown[]): Promise<Row[]> {
    if (this.#ended) throw unavailable();
    const started = performance.now();
    this.#health.calls++;
    try {
      await (this.#migrated ??= this.#migrate().catch((error: unknown) => {
        this.#migrated = undefined;
        throw error;
      }));
      const pool = await this.#poolInUse();
      const result = await withTimeout(pool.query(sql, values as unknown[]), this.#timeoutMs, 'a PostgreSQL query');
      this.#recovered();
      return result.rows as Row[];
    } catch (error) {
      this.#failed(error as Error);
      throw unavailable();
    } finally {
      this.#health.seconds += (performance.now() - started) / 1000;
    }
  }

  /** Creates the tables or brings them to `SCHEMA_VERSION`, under an advisory lock. */
  async #migrate(): Promise<void> {
    const connecting = (await this.#poolInUse()).connect();
    const client = await withTimeout(connecting, this.#timeoutMs, 'connecting to PostgreSQL').catch(
      (error: unknown) => {
        void connecting.then((late) => late.release(), () => {}); // a connection that comes too late goes back to the pool
        throw error;
      },
    );
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      try {
        await client.query('CREATE TABLE IF NOT EXISTS git_goproxy_schema (version integer NOT NULL)');
        const { rows } = await client.query<{ version: number }>('SELECT version FROM git_goproxy_schema');
        const from = rows[0]?.version ?? 0;
        if (from > SCHEMA_VERSION) {
          throw new Error(
            `the pin table has schema version ${from}, newer than this server's ${SCHEMA_VERSION}: upgrade the server`,
          );
        }
        for (let version = from; version < SCHEMA_VERSION; version++) await client.query(MIGRATIONS[version]!);
        if (rows.length === 0 && this.#schemaSeen) {
          this.#warn(
            'PostgreSQL pin store: the pin tables were gone (a restored or failed-over database?) and are made again, empty: restore the pins recorded before (pins import)',
          );
        }
        if (rows.length === 0) {
          await client.query('INSERT INTO git_goproxy_schema (version) VALUES ($1)', [SCHEMA_VERSION]);
        } else if (from < SCHEMA_VERSION) {
          await client.query('UPDATE git_goproxy_schema SET version = $1', [SCHEMA_VERSION]);
        }
        this.#schemaSeen = true;
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      }
    } finally {
      client.release();
    }
  }

  #failed(error: Error): void {
    this.#health.errors++;
    // The next call checks the schema again: the database behind the URL may have changed.
    this.#migrated = undefined;
    if (!this.#health.available) return;
    this.#health.available = false;
    this.#warn(`PostgreSQL pin store unavailable: ${error.message}`);
    if (!this.#closed) {
      this.#probe ??= setInterval(() => void this.#query('SELECT 1', []).catch(() => {}), PROBE_INTERVAL_MS).unref();
    }
  }

  #recovered(): void {
    if (this.#health.available) return;
    this.#health.available = true;
    clearInterval(this.#probe);
    this.#probe = undefined;
    this.#warn('PostgreSQL pin store available again');
  }
}

/**
 * The password in a `postgres://` URL ('' when there is none); throws a `ConfigError` on `pins`
 * for anything that is not such a URL (without repeating the URL: it may hold the password).
 */
export function postgresUrlPassword(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('pins', 'not a URL (postgres://user@host:port/database)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError('pins', `unsupported scheme ${parsed.protocol} (postgres://user@host:port/database)`);
  }
  if (parsed.hostname === '') throw new ConfigError('pins', 'the URL names no host');
  return decodeURIComponent(parsed.password);
}

function fromRow(row: PinRow): Pin {
  const { project, module, version, commit, time, mod, zip } = row;
  return zip === null
    ? { project, module, version, commit, time, mod }
    : { project, module, version, commit, time, mod, zip };
}

/** The error every failed database call becomes: a 503 with Retry-After (the cause goes to the log, not the client). */
function unavailable(): ProxyError {
  return new ProxyError('busy', 'service unavailable: the pin store cannot be reached; try again', 2);
}

/** `promise`, or a rejection after `ms` (the work itself is left to its own timeouts). */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
