/**
 * The PostgreSQL pin store against a real server started for this file: the pin store compliance
 * suite (each place a database of its own), then what is particular to a shared database: the
 * schema and its version, start-up that reads no pins, and behaviour while the server is down or
 * unreachable (cached pins served, bounded failures, recovery without a restart, clean close).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { PostgresPinStore, postgresUrlPassword } from '../../lib/pins/postgres-store.ts';
import { ProxyError } from '../../lib/common/errors.ts';
import { compliancePin as pin, pinStoreCompliance } from '../support/pin-store-compliance.ts';
import { POSTGRES_MISSING, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { within } from '../support/wait.ts';

const PROJECT = 'group/mod';
const MODULE = 'go.example.com/group/mod';

describe('PostgreSQL pin store', { skip: POSTGRES_MISSING }, () => {
  let server: TestPostgres;
  const databases = new Set<string>();

  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.remove();
  });

  /** A database of its own for `place`, created on first use: the same place is the same record. */
  const databaseFor = async (place: string): Promise<string> => {
    const name = `pins_${createHash('sha256').update(place).digest('hex').slice(0, 16)}`;
    if (!databases.has(name)) {
      await server.psql(`CREATE DATABASE ${name}`);
      databases.add(name);
    }
    return server.url.replace(/\/postgres$/, `/${name}`);
  };

  pinStoreCompliance('PostgreSQL', async (place) => PostgresPinStore.open({ url: await databaseFor(place) }));

  test('the tables are made on first use with a schema version; opening reads nothing, and lookups use the key', async () => {
    const url = await databaseFor('schema');
    const db = url.slice(url.lastIndexOf('/') + 1);
    const store = PostgresPinStore.open({ url });
    try {
      assert.equal(
        await server.psql(`SELECT count(*) FROM pg_tables WHERE tablename LIKE 'git_goproxy_%'`, db),
        '0',
        'open() alone makes no call',
      );
      await store.record(pin('v1.0.0'));
      const query = (sql: string) => server.psql(sql, db);
      assert.equal(await query('SELECT version FROM git_goproxy_schema'), '1');
      assert.equal(
        await query("SELECT project || ' ' || module || ' ' || version FROM git_goproxy_pins"),
        `${PROJECT} ${MODULE} v1.0.0`,
      );
    } finally {
      await store.close();
    }
  });

  test('a table of a newer schema version is refused with a warning, never written to', async () => {
    const url = await databaseFor('newer-schema');
    const db = url.slice(url.lastIndexOf('/') + 1);
    await server.psql(
      'CREATE TABLE git_goproxy_schema (version integer NOT NULL); INSERT INTO git_goproxy_schema VALUES (99)',
      db,
    );
    assert.equal(await server.psql('SELECT version FROM git_goproxy_schema', db), '99');
    const warnings: string[] = [];
    const store = PostgresPinStore.open({ url, warn: (message) => warnings.push(message) });
    try {
      await assert.rejects(
        store.record(pin('v1.0.0')),
        (error: unknown) => error instanceof ProxyError && error.kind === 'busy',
      );
      assert.match(warnings.join('\n'), /schema version 99, newer than this server's 1: upgrade the server/);
    } finally {
      await store.close();
    }
  });

  test('a database that lost the pin tables (restored, failed over) is set up again after the failure, with a warning: no 503 forever', async () => {
    const url = await databaseFor('lost-tables');
    const db = url.slice(url.lastIndexOf('/') + 1);
    const warnings: string[] = [];
    const store = PostgresPinStore.open({ url, warn: (message) => warnings.push(message) });
    try {
      await store.record(pin('v1.0.0'));
      await server.psql('DROP TABLE git_goproxy_pins; DROP TABLE git_goproxy_schema', db);
      await assert.rejects(
        store.get(PROJECT, MODULE, 'v2.0.0'),
        (error: unknown) => error instanceof ProxyError && error.kind === 'busy',
        'the call that finds the table gone',
      );
      await within(
        5000,
        async () => (await store.get(PROJECT, MODULE, 'v2.0.0').catch(() => 'failed')) === undefined,
        'recovery',
      );
      await store.record(pin('v2.0.0'));
      assert.equal(await server.psql('SELECT version FROM git_goproxy_pins', db), 'v2.0.0');
      assert.equal(await server.psql('SELECT version FROM git_goproxy_schema', db), '1');
      assert.equal(store.health.available, true);
      assert.match(
        warnings.join('\n'),
        /the pin tables were gone \(a restored or failed-over database\?\) and are made again, empty/,
      );
    } finally {
      await store.close();
    }
  });

  test('server stopped: pins seen are still served, new calls fail within the bound, the store recovers by itself', async () => {
    const url = (await databaseFor('outage')).replace('postgres@', 'postgres:s3cret-pw@');
    const warnings: string[] = [];
    const store = PostgresPinStore.open({ url, timeoutMs: 1000, warn: (message) => warnings.push(message) });
    try {
      await store.record(pin('v1.0.0'));
      await server.stop();
      assert.deepEqual(await store.get(PROJECT, MODULE, 'v1.0.0'), pin('v1.0.0'), 'a pin seen needs no round trip');

      const started = Date.now();
      await assert.rejects(
        store.record(pin('v1.0.1')),
        (error: unknown) => error instanceof ProxyError && error.kind === 'busy' && error.retryAfterSeconds === 2,
      );
      await assert.rejects(
        store.get(PROJECT, MODULE, 'v1.0.2'),
        (error: unknown) => error instanceof ProxyError && error.kind === 'busy',
      );
      assert.ok(Date.now() - started < 5000, `two failing calls took ${Date.now() - started} ms`);
      assert.equal(store.health?.available, false);
      assert.ok((store.health?.errors ?? 0) >= 2);

      await server.start();
      await within(10_000, () => store.health?.available === true, 'the store notices the server is back');
      await store.record(pin('v1.0.1'));
      assert.deepEqual(await store.versions(PROJECT, MODULE), ['v1.0.0', 'v1.0.1']);
      assert.ok(
        warnings.some((line) => /unavailable/.test(line)) && warnings.some((line) => /available again/.test(line)),
        warnings.join('\n'),
      );
      assert.ok(!warnings.join('\n').includes('s3cret-pw'), 'no log line holds the password');
    } finally {
      await server.start().catch(() => {});
      await store.close();
    }
  });

  test('a list served while the server is down is the last one seen', async () => {
    const store = PostgresPinStore.open({ url: await databaseFor('list-outage'), timeoutMs: 1000 });
    try {
      await store.record(pin('v1.0.0'));
      assert.deepEqual(await store.versions(PROJECT, MODULE), ['v1.0.0']);
      await server.stop();
      assert.deepEqual(await store.versions(PROJECT, MODULE), ['v1.0.0']);
      await assert.rejects(
        store.versions(PROJECT, `${MODULE}/other`),
        (error: unknown) => error instanceof ProxyError && error.kind === 'busy',
      );
    } finally {
      await server.start();
      await store.close();
    }
  });

  test('a peer that accepts connections and closes them (a dead host behind a proxy) fails fast, never hangs', async () => {
    const sink: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const port = (sink.address() as { port: number }).port;
    const store = PostgresPinStore.open({ url: `postgres://postgres@127.0.0.1:${port}/postgres`, timeoutMs: 800 });
    try {
      const started = Date.now();
      await assert.rejects(
        store.get(PROJECT, MODULE, 'v1.0.0'),
        (error: unknown) => error instanceof ProxyError && error.kind === 'busy',
      );
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    } finally {
      const closing = Date.now();
      await store.close();
      assert.ok(Date.now() - closing < 3000, 'close does not wait for a dead server');
      sink.close();
    }
  });

  test('nothing but a postgres:// URL is taken, and errors never repeat the URL', () => {
    assert.equal(postgresUrlPassword('postgres://u:p%40ss@h:5432/db'), 'p@ss');
    assert.equal(postgresUrlPassword('postgresql://u@h/db'), '');
    assert.throws(
      () => postgresUrlPassword('mysql://u:secret@h/db'),
      (error: Error) => /pins: unsupported scheme mysql:/.test(error.message) && !error.message.includes('secret'),
    );
    assert.throws(
      () => postgresUrlPassword('u:secret@h'),
      (error: Error) => /pins: unsupported scheme u:/.test(error.message) && !error.message.includes('secret'),
    );
    assert.throws(
      () => postgresUrlPassword('secret'),
      (error: Error) => /pins: not a URL/.test(error.message) && !error.message.includes('secret'),
    );
    assert.throws(() => postgresUrlPassword('postgres:///db'), /pins: the URL names no host/);
  });
});
