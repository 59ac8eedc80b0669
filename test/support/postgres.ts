/**
 * A real, throwaway PostgreSQL server for one test file: its own cluster in a temp dir (initdb as
 * the `postgres` user, since initdb and postgres refuse to run as root), listening on 127.0.0.1 at a
 * free port, with a socket in the temp dir. `stop()` and `start()` simulate an outage on the same
 * port; `remove()` stops it for good and deletes the cluster (also registered for process exit).
 *
 * fsync is off (a test cluster need not survive the machine), but every commit is written before it
 * returns, so a stop with `-m immediate` loses no committed pin.
 *
 * Tests skip, with the reason, where the binaries are missing (`POSTGRES_MISSING`); CI installs them.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, removeDir } from './temp.ts';

const run = promisify(execFile);

/** Where Debian's postgresql-15 (or another major version) keeps its server binaries. */
function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) =>
    Number(b) - Number(a)
  );
  return versions.length === 0 ? undefined : join(root, versions[0]!, 'bin');
}

const BIN = postgresBinDir();

/** Why PostgreSQL tests cannot run here, or false when they can. */
export const POSTGRES_MISSING: string | false = BIN === undefined
  ? 'PostgreSQL not found under /usr/lib/postgresql (apt-get install postgresql-15)'
  : false;

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication). */
  readonly url: string;
  readonly port: number;
  /** Stops the server at once (`-m immediate`): in-flight queries fail, connections drop. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Runs SQL through psql in `database` (default `postgres`), for setting up and inspecting. */
  psql(sql: string, database?: string): Promise<string>;
  /** Stops the server and deletes its files. */
  remove(): Promise<void>;
}

/** Data dirs of clusters still running: stopped on exit, so no postmaster outlives the test run. */
const live = new Set<string>();
process.on('exit', () => {
  for (const dataDir of live) {
    try {
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGQUIT'); // immediate shutdown
    } catch {
      // already gone
    }
  }
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function asPostgres(command: string, args: string[]): Promise<string> {
  const { stdout } = await run('runuser', ['-u', 'postgres', '--', join(BIN!, command), ...args], { timeout: 60_000 });
  return stdout;
}

/** Creates and starts a cluster; retries with another port when the chosen one is taken meanwhile. */
export async function startPostgres(): Promise<TestPostgres> {
  if (BIN === undefined) throw new Error(POSTGRES_MISSING as string);
  const dir = await makeTempDir('postgres');
  chownSync(dir, ...postgresIds());
  const dataDir = join(dir, 'data');
  await asPostgres('initdb', [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '-N',
    '--no-instructions',
  ]);
  let port = 0;
  const start = async () => {
    const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off`;
    await asPostgres('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '30',
      'start',
      '-o',
      options,
    ]);
    live.add(dataDir);
  };
  const stop = async () => {
    await asPostgres('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    live.delete(dataDir);
  };
  for (let attempt = 0;; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (error) {
      if (attempt >= 4) throw error;
    }
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    psql: async (sql, database = 'postgres') => {
      const { stdout } = await run(join(BIN, 'psql'), [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        'postgres',
        '-d',
        database,
        '-At',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        sql,
      ], { timeout: 600_000 });
      return stdout.trim();
    },
    remove: async () => {
      await stop();
      await removeDir(dir);
    },
  };
}

/** The uid and gid of the `postgres` system user. */
function postgresIds(): [number, number] {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  if (line === undefined) throw new Error('no postgres user (apt-get install postgresql-15 creates it)');
  const [, , uid, gid] = line.split(':');
  return [Number(uid), Number(gid)];
}
