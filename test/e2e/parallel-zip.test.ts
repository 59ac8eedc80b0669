/**
 * A large module at a deflate level is zipped by several `git archive` processes over parts of it,
 * their entries interleaved into one zip. It must hash to what the go client gets in direct mode
 * (test/oracle/parallel-zip.json, where `npm run test:oracle` also has the go client fetch it
 * through the proxy), for a root module and for a module in a subdirectory (with a nested module and
 * vendored files left out and the root LICENSE inherited); with one git slot the same zip comes
 * from a single process. The archives' overlap is read from their start and exit times, which the
 * server's child registry reports.
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { onChildExit } from '../../lib/git/children.ts';
import { readAnswerTable, type ZipAnswer } from '../support/answer-tables.ts';
import { DIRECT_HOST } from '../support/go-client.ts';
import { fetchOnce } from '../support/http-fetch.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { buildSplitFixture, SPLIT_MODULES } from '../support/zip-fixtures.ts';
import { zipHash } from '../support/zip-hash.ts';

/** What the go command answered in direct mode per `module@version` (test/oracle/parallel-zip.test.ts). */
const TABLE = readAnswerTable<Record<string, ZipAnswer>>('parallel-zip');

/** The most intervals that overlap at one instant. */
function peakOverlap(intervals: ReadonlyArray<readonly [start: number, end: number]>): number {
  const edges = intervals.flatMap(([start, end]) => [[start, 1], [end, -1]] as const);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, change] of edges) peak = Math.max(peak, open += change);
  return peak;
}

describe('zips split over several git archives', () => {
  let root: string;
  let proxy: RunningProxy;
  let single: RunningProxy;

  before(async () => {
    root = await makeTempDir('parallel-zip');
    await buildSplitFixture(root);
    proxy = await startProxy({ repos: root, moduleHost: DIRECT_HOST, maxGit: 8 });
    single = await startProxy({ repos: root, moduleHost: DIRECT_HOST, maxGit: 1, dataDir: `${root}/.single` });
  });

  after(async () => {
    await proxy?.close();
    await single?.close();
    await removeDir(root);
  });

  for (const module of SPLIT_MODULES) {
    test(`${module}: several git archives at once; the same h1 as direct mode and as one git archive`, async () => {
      const archives: Array<[number, number]> = [];
      const stopListening = onChildExit((child, ms) => {
        if (child.spawnargs.includes('archive')) archives.push([performance.now() - ms, performance.now()]);
      });
      let split;
      try {
        split = await fetchOnce(`${proxy.url}/${module}/@v/v1.0.0.zip`);
      } finally {
        stopListening();
      }
      assert.equal(split.status, 200);
      const peak = peakOverlap(archives);
      assert.ok(peak >= Math.min(2, availableParallelism()), `peak of ${peak} git archive processes`);
      const whole = await fetchOnce(`${single.url}/${module}/@v/v1.0.0.zip`);
      assert.equal(zipHash(split.body), zipHash(whole.body));
      const recorded = TABLE[`${module}@v1.0.0`];
      assert.ok(recorded !== undefined && 'Sum' in recorded, JSON.stringify(recorded));
      assert.equal(zipHash(split.body), recorded.Sum);
    });
  }
});
