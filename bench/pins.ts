/**
 * `npm run bench:pins [-- --quick]`: `list` and `@latest` against the number of pinned versions
 * (issue #15, finding 5). One module with 50 tags; its pin record is seeded with 100 pinned tagged
 * versions whose tags are gone (what `list` must show) and N pinned pseudo-versions (what a client
 * flooding the record makes), N = 0, 10,000, 100,000. The server runs in this
 * process (`createHandler`) over loopback HTTP; `bench/load.ts` measures requests per second and
 * latency at 8 concurrent keep-alive clients. `list` and `@latest` should not slow down with N:
 * pseudo-versions are never listed, and the store keeps each module's listed versions sorted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PINS_FILE } from '../lib/pins/file-store.ts';
import { pinLine } from '../lib/pins/record-line.ts';
import { createRepo } from '../test/support/git-fixture.ts';
import { startProxy } from '../test/support/proxy-server.ts';
import { makeTempDir, removeDir } from '../test/support/temp.ts';
import { runLoad } from './load.ts';

const PROJECT = 'group/flooded';
const MODULE = `go.localhost/${PROJECT}`;
const TAGS = 50;
const TAGGED_PINS = 100;
const CONCURRENCY = 8;
const quick = process.argv.includes('--quick');
const COUNTS = quick ? [0, 10_000] : [0, 10_000, 100_000];
const DURATION_MS = quick ? 1000 : 3000;

/** The record line of `version` pinned to `commit` (the hash is a well-formed stand-in: nothing here serves the files). */
function seedLine(version: string, commit: string): string {
  const mod = `h1:${'M'.repeat(43)}=`;
  return `${pinLine({ module: MODULE, version, project: PROJECT, commit, time: '2024-01-01T00:00:00Z', mod })}\n`;
}

/** N pseudo-versions and TAGGED_PINS tagged versions (v0.x, below every live tag) pinned to `commit`. */
function seedPins(dataDir: string, count: number, commit: string): void {
  mkdirSync(dataDir, { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const stamp = new Date(Date.UTC(2020, 0, 1) + i * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    lines.push(seedLine(`v1.0.1-0.${stamp}-${i.toString(16).padStart(12, '0')}`, commit));
  }
  for (let i = 0; i < TAGGED_PINS; i++) lines.push(seedLine(`v0.${i}.0`, commit));
  writeFileSync(join(dataDir, PINS_FILE), lines.join(''));
}

async function main(): Promise<void> {
  const root = await makeTempDir('bench-pins');
  try {
    const repo = await createRepo(root, PROJECT);
    let commit = '';
    for (let i = 0; i < TAGS; i++) {
      commit = await repo.commit({ 'go.mod': `module ${MODULE}\n`, 'p.go': `package p\n\nconst N = ${i}\n` }, {
        date: new Date(Date.UTC(2024, 0, 1, 0, i)),
      });
      await repo.tag(`v1.${i}.0`);
    }
    const rows: string[] = [];
    for (const count of COUNTS) {
      const dataDir = join(root, `data-${count}`);
      seedPins(dataDir, count, commit);
      const proxy = await startProxy({ repos: root, dataDir, defaultVisibility: 'public', logLevel: 'error' });
      try {
        for (const op of ['@v/list', '@latest']) {
          const result = await runLoad({
            url: proxy.url,
            paths: [`/${MODULE}/${op}`],
            concurrency: CONCURRENCY,
            durationMs: DURATION_MS,
          });
          if (result.errors > 0) throw new Error(`${op}: ${result.firstError}`);
          rows.push(
            `| ${count.toLocaleString('en')} | ${op} | ${Math.round(result.requestsPerSecond)} | ${
              result.p50Ms.toFixed(2)
            } | ${result.p99Ms.toFixed(2)} |`,
          );
        }
      } finally {
        await proxy.close();
      }
    }
    process.stdout.write(
      `| pinned pseudo-versions | request | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|\n${rows.join('\n')}\n`,
    );
  } finally {
    await removeDir(root);
  }
}

await main();
