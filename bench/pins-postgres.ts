/**
 * `npm run bench:pins-postgres [-- --quick]`: the PostgreSQL pin store with 10 and with 1,000,000
 * pins in its table (issue #17). A throwaway PostgreSQL server (test/support/postgres.ts) is seeded
 * with N pins of 1,000 other modules; a module with 20 tags is served by a proxy in this process
 * (`createHandler({ pins: url })`) over loopback HTTP. Measured for each N: the time from creating
 * the handler to the first answer that needs the table (start-up must not read the pins), then
 * requests per second and latency at 8 keep-alive clients of `.info` of a pinned version (kept in
 * memory: no round trip), `.info` of a version not pinned (one lookup per request) and `list` (one
 * query per request), and the process's peak RSS.
 */
import { join } from 'node:path';
import { PostgresPinStore } from '../lib/pins/postgres-store.ts';
import { createRepo } from '../test/support/git-fixture.ts';
import { startPostgres } from '../test/support/postgres.ts';
import { startProxy } from '../test/support/proxy-server.ts';
import { makeTempDir, removeDir } from '../test/support/temp.ts';
import { runLoad } from './load.ts';

const PROJECT = 'group/served';
const MODULE = `go.localhost/${PROJECT}`;
const TAGS = 20;
const CONCURRENCY = 8;
const quick = process.argv.includes('--quick');
const COUNTS = quick ? [10, 100_000] : [10, 1_000_000];
const DURATION_MS = quick ? 1000 : 3000;

/** Seeds the pin table with `count` pins of other projects' modules (well-formed stand-in hashes). */
async function seed(
  psql: (sql: string, db?: string) => Promise<string>,
  db: string,
  url: string,
  count: number,
): Promise<void> {
  const store = PostgresPinStore.open({ url });
  await store.versions('none', 'none'); // makes the tables
  await store.close();
  await psql(
    `INSERT INTO git_goproxy_pins (project, module, version, commit, time, mod, zip)
     SELECT 'bulk/p' || (i % 1000), 'go.localhost/bulk/p' || (i % 1000), 'v1.' || (i / 1000) || '.0', repeat('a', 40),
            '2024-01-01T00:00:00Z', 'h1:' || repeat('M', 43) || '=', 'h1:' || repeat('Z', 43) || '='
     FROM generate_series(1, ${count}) AS i`,
    db,
  );
  await psql('ANALYZE git_goproxy_pins', db);
}

async function main(): Promise<void> {
  const root = await makeTempDir('bench-pins-postgres');
  const database = await startPostgres();
  try {
    const repo = await createRepo(join(root, 'repos'), PROJECT);
    for (let i = 0; i < TAGS; i++) {
      await repo.commit({ 'go.mod': `module ${MODULE}\n`, 'p.go': `package p\n\nconst N = ${i}\n` }, {
        date: new Date(Date.UTC(2024, 0, 1, 0, i)),
      });
      await repo.tag(`v1.${i}.0`);
    }
    const rows: string[] = [];
    for (const count of COUNTS) {
      const db = `bench_${count}`;
      await database.psql(`CREATE DATABASE ${db}`);
      const url = database.url.replace(/\/postgres$/, `/${db}`);
      const seeding = performance.now();
      await seed(database.psql, db, url, count);
      process.stderr.write(
        `seeded ${count.toLocaleString('en')} pins in ${Math.round(performance.now() - seeding)} ms\n`,
      );

      const started = performance.now();
      const proxy = await startProxy({
        repos: join(root, 'repos'),
        dataDir: join(root, `data-${count}`),
        pins: url,
        defaultVisibility: 'public',
        logLevel: 'error',
      });
      try {
        const first = await fetch(`${proxy.url}/${MODULE}/@v/v1.0.0.info`);
        if (first.status !== 200) throw new Error(`first .info: ${first.status}`);
        const startupMs = performance.now() - started;
        if ((await fetch(`${proxy.url}/${MODULE}/@v/v1.1.0.mod`)).status !== 200) {
          throw new Error('pinning v1.1.0 failed');
        }
        const loads: Array<[string, string]> = [
          ['.info, pinned', `/${MODULE}/@v/v1.1.0.info`],
          ['.info, not pinned', `/${MODULE}/@v/v1.2.0.info`],
          ['list', `/${MODULE}/@v/list`],
        ];
        for (const [what, path] of loads) {
          const result = await runLoad({
            url: proxy.url,
            paths: [path],
            concurrency: CONCURRENCY,
            durationMs: DURATION_MS,
          });
          if (result.errors > 0) throw new Error(`${what}: ${result.firstError}`);
          rows.push(
            `| ${count.toLocaleString('en')} | ${Math.round(startupMs)} | ${what} | ${
              Math.round(result.requestsPerSecond)
            } | ${result.p50Ms.toFixed(2)} | ${result.p99Ms.toFixed(2)} |`,
          );
        }
      } finally {
        await proxy.close();
      }
    }
    process.stdout.write(
      `| pins in PostgreSQL | start-up to first answer, ms | request | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|\n${
        rows.join('\n')
      }\n` +
        `peak RSS of this process (proxy and load generator): ${
          Math.round(process.resourceUsage().maxRSS / 1024)
        } MiB\n`,
    );
  } finally {
    await database.remove();
    await removeDir(root);
  }
}

await main();
