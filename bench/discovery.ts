/**
 * `node --import tsx bench/discovery.ts [--repos=20000]`: what finding repositories costs. Generates
 * that many minimal bare repositories (the `objects/`, `refs/` and `HEAD` discovery looks at) in 200
 * groups, then measures the first scan (time to `ready`), a rescan, the event loop's delay while
 * they run (`monitorEventLoopDelay`: the longest a timer waited, p99), how long a repository
 * created afterwards takes to be found by the directory watch and by a rescan, and a config reload
 * (`reconfigure`: every project indexed again from the last scan, with new tokens, without the disk).
 */
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ProjectIndex } from '../lib/access/projects.ts';
import { resolveOptions } from '../lib/cli/config.ts';
import { makeTempDir, removeDir } from '../test/support/temp.ts';
import { within } from '../test/support/wait.ts';
import { minimalRepo } from './scale-repos.ts';

const GROUPS = 200;

/** What one scan cost: wall-clock and CPU (user + system, main thread and libuv's pool) milliseconds, the event loop's delay meanwhile. */
interface Cost {
  readonly ms: number;
  readonly cpuMs: number;
  readonly maxDelayMs: number;
  readonly p99DelayMs: number;
}

async function measured(work: () => Promise<unknown>): Promise<Cost> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const start = performance.now();
  const cpu = process.cpuUsage();
  await work();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  delay.disable();
  return {
    ms: Math.round(ms),
    cpuMs: Math.round((used.user + used.system) / 1000),
    maxDelayMs: Math.round(delay.max / 1e6),
    p99DelayMs: Math.round(delay.percentile(99) / 1e6),
  };
}

async function main(): Promise<void> {
  const count = Number(process.argv.find((arg) => arg.startsWith('--repos='))?.slice('--repos='.length) ?? 20_000);
  const scratch = await makeTempDir('bench-discovery');
  try {
    const repos = join(scratch, 'repos');
    for (let i = 0; i < count; i++) minimalRepo(join(repos, `group${i % GROUPS}`, `repo${i}.git`));
    const options = resolveOptions({ repos, moduleHost: 'go.bench', rescanInterval: 3600 });
    const index = new ProjectIndex(options);
    const first = await measured(() => index.ready);
    index.keepCurrent();
    const rescan = await measured(() => index.rescan());
    minimalRepo(join(repos, 'group7/pushed.git'));
    const watchMs = Math.round(
      await within(30_000, () => index.byId('group7/pushed') !== undefined, 'the watch found group7/pushed'),
    );
    minimalRepo(join(repos, 'group8/pushed.git'));
    const signalled = await measured(() => index.rescan());
    const tokens = [{ name: 'ci', sha256: '0'.repeat(64), grants: ['group1/**'] }];
    const reload = await measured(() =>
      index.reconfigure({
        ...options,
        defaultVisibility: 'private',
        tokens,
        projects: [{ path: 'group3/repo3', visibility: 'public' }],
      })
    );
    index.close();
    const rows = [
      ['first scan (start-up)', first],
      ['rescan', rescan],
      ['rescan after a push (SIGHUP)', signalled],
      ['config reload (no disk read)', reload],
    ] as const;
    process.stdout.write(
      `${index.size} projects (${count} repositories in ${GROUPS} groups), ${new Date().toISOString()}\n\n`,
    );
    process.stdout.write('| scan | ms | CPU ms | event-loop delay max ms | p99 ms |\n|---|---|---|---|---|\n');
    for (const [name, row] of rows) {
      process.stdout.write(`| ${name} | ${row.ms} | ${row.cpuMs} | ${row.maxDelayMs} | ${row.p99DelayMs} |\n`);
    }
    process.stdout.write(`\nA repository pushed into a watched group served after ${watchMs} ms.\n`);
  } finally {
    await removeDir(scratch);
  }
}

await main();
