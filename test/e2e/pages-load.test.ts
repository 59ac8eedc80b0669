/**
 * The web pages cost a repository's work once, not per view, and never hold the event loop: a
 * public module whose go.mod is 15 MiB, and a version of 30,000 files, viewed again and again by an
 * anonymous client. The event loop is watched the whole time (no gap over 50 ms), the version's
 * tree is listed once however many views there are, the go.mod is shown cut short with a link to
 * `.mod`, and one client's page views at once are bounded like its zips are.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '../../lib/access/auth.ts';
import { PAGE_VIEWS_PER_CLIENT } from '../../lib/http/client-limit.ts';
import { onChildExit } from '../../lib/git/children.ts';
import { createRepo } from '../support/git-fixture.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const BIG_MOD = 'go.localhost/corp/bigmod';
/** Another module with a 15 MiB go.mod, for the bound on page views at once. */
const BIG_TOO = 'go.localhost/corp/bigtoo';
const MANY = 'go.localhost/corp/many';
const SMALL = 'go.localhost/corp/small';
const FILES = 30_000;
const TOKEN = 'ggp_pages-load';
/** The longest the event loop may be held by one piece of page work. */
const MAX_BLOCK_MS = 50;

/** A go.mod of about 15 MiB: a long require block and a retraction at its end. */
function bigGoMod(modulePath: string): string {
  const requires = Array.from({ length: 330_000 }, (_, i) => `\texample.com/dependency/number${i} v1.2.${i}\n`);
  return `module ${modulePath}\n\ngo 1.19\n\nrequire (\n${requires.join('')})\n\nretract v0.9.0 // the old one\n`;
}

/**
 * How long this process's event loop is held: a timer due every 2 ms, and for each wait longer than
 * that, the CPU time the process used meanwhile (a wait while the machine ran other processes, as
 * on a loaded machine, holds nothing). The CPU time counts every thread of the process, so it is an
 * upper bound of the loop's own.
 */
class LoopWatch {
  #timer: NodeJS.Timeout | undefined;
  #longest = 0;

  get longest(): number {
    return this.#longest;
  }

  reset(): void {
    this.#longest = 0;
  }

  start(): void {
    let wall = performance.now();
    let cpu = process.cpuUsage();
    this.#timer = setInterval(() => {
      const now = performance.now();
      const used = process.cpuUsage(cpu);
      const heldMs = Math.min(now - wall - 2, (used.user + used.system) / 1000);
      this.#longest = Math.max(this.#longest, heldMs);
      wall = now;
      cpu = process.cpuUsage();
    }, 2);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

describe('page views of a huge go.mod and a huge tree', () => {
  let scratch: string;
  let proxy: RunningProxy;
  let goModLength: number;

  before(async () => {
    scratch = await makeTempDir('pages-load');
    const repos = join(scratch, 'repos');
    const big = await createRepo(repos, 'corp/bigmod');
    const goMod = bigGoMod(BIG_MOD);
    goModLength = goMod.length;
    const bigToo = await createRepo(repos, 'corp/bigtoo');
    await bigToo.commit({ 'go.mod': bigGoMod(BIG_TOO) }, { date: '2024-01-01T00:00:00Z' });
    await bigToo.tag('v1.0.0');
    await big.commit({ 'go.mod': goMod, 'big.go': 'package big\n' }, { date: '2024-01-01T00:00:00Z' });
    await big.tag('v0.9.0');
    await big.commit({ 'more.go': 'package big\n' }, { date: '2024-01-02T00:00:00Z' });
    await big.tag('v1.0.0');
    const many = await createRepo(repos, 'corp/many');
    const blob = await many.writeBlob('package p\n');
    const files: Record<string, { blob: string } | string> = { 'go.mod': `module ${MANY}\n\ngo 1.19\n` };
    for (let i = 0; i < FILES; i++) files[`p${i % 100}/f${i}.go`] = { blob };
    await many.commit(files, { date: '2024-01-01T00:00:00Z' });
    await many.tag('v1.0.0');
    const small = await createRepo(repos, 'corp/small');
    await small.commit({ 'go.mod': `module ${SMALL}\n\ngo 1.19\n`, 's.go': 'package s\n' }, {
      date: '2024-01-01T00:00:00Z',
    });
    await small.tag('v1.0.0');
    proxy = await startProxy({
      repos,
      dataDir: join(scratch, 'data'),
      defaultVisibility: 'public',
      tokens: [{ name: 'other', sha256: hashToken(TOKEN), grants: ['**'] }],
    });
    // The page code compiled on a small module first: what is measured is the big ones' work.
    for (const path of [`/-/modules/${SMALL}`, `/-/modules/${SMALL}/@v/v1.0.0`]) {
      assert.equal((await fetch(`${proxy.url}${path}`)).status, 200);
    }
  });

  after(async () => {
    await proxy?.close();
    if (scratch !== undefined) await removeDir(scratch);
  });

  test('views hold the event loop at most 50 ms, list the tree once, and show the go.mod cut short', async (t) => {
    const listings: string[] = [];
    const stopWatching = onChildExit((child: ChildProcess) => {
      if (child.spawnargs.includes('ls-tree')) listings.push(child.spawnargs.join(' '));
    });
    const loop = new LoopWatch();
    /** The longest the event loop was held during each view. */
    const blocked: Array<{ view: string; ms: number }> = [];
    const view = async (path: string): Promise<string> => {
      loop.reset();
      const response = await fetch(`${proxy.url}${path}`);
      const body = await response.text();
      blocked.push({ view: path, ms: loop.longest });
      assert.equal(response.status, 200, path);
      return body;
    };
    loop.start();
    try {
      for (let round = 0; round < 3; round++) {
        if (round === 1) listings.length = 0;
        const modulePage = await view(`/-/modules/${BIG_MOD}`);
        assert.ok(modulePage.length < 200_000, `the module page is ${modulePage.length} bytes`);
        assert.match(modulePage, /cut short/);
        assert.match(modulePage, new RegExp(`href="/${BIG_MOD}/@v/v1\\.0\\.0\\.mod"`));
        assert.match(modulePage, /mark retracted/, 'the retraction at the end of the go.mod is read');
        assert.ok((await view(`/-/modules/${BIG_MOD}/@v/v1.0.0`)).length < 200_000);
        for (const page of ['', '?page=150']) {
          assert.match(await view(`/-/modules/${MANY}/@v/v1.0.0${page}`), /30,001 files/);
        }
        await view(`/-/modules/${MANY}`);
      }
    } finally {
      loop.stop();
      stopWatching();
    }
    const longest = blocked.reduce((a, b) => (b.ms > a.ms ? b : a));
    t.diagnostic(`longest event-loop delay: ${longest.ms.toFixed(1)} ms, during ${longest.view}`);
    assert.ok(
      longest.ms <= MAX_BLOCK_MS,
      `the event loop was held for ${longest.ms.toFixed(1)} ms during ${longest.view}`,
    );
    assert.deepEqual(listings, [], 'no tree listed again after the first views');
    assert.ok(goModLength > 15 << 20, 'a 15 MiB go.mod');
  });

  test('one client has at most PAGE_VIEWS_PER_CLIENT pages under way: the next is 429; another client is served', async () => {
    const url = `${proxy.url}/-/modules/${BIG_TOO}`;
    // The first views of a module with a 15 MiB go.mod wait for it to be read: all of them at once.
    const views = await Promise.all(
      Array.from(
        { length: PAGE_VIEWS_PER_CLIENT + 2 },
        () => fetch(url).then(async (r) => ({ r, body: await r.text() })),
      ),
    );
    const refused = views.filter(({ r }) => r.status === 429);
    assert.equal(refused.length, 2, views.map(({ r }) => r.status).join(' '));
    assert.equal(refused[0]!.r.headers.get('retry-after'), '1');
    assert.equal(
      refused[0]!.body,
      `too many page views at once from this client (at most ${PAGE_VIEWS_PER_CLIENT}), retry later\n`,
    );
    const other = await fetch(url, {
      headers: { Authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
    });
    assert.equal(other.status, 200);
    assert.equal((await fetch(url)).status, 200, 'the bound frees up as views end');
    const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`^git_goproxy_page_views_per_client ${PAGE_VIEWS_PER_CLIENT}$`, 'm'));
    assert.match(metrics, /^git_goproxy_page_views_refused_total 2$/m);
  });
});
