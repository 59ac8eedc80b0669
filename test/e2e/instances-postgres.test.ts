/**
 * Several instances, one truth: two server processes with their own data directories and one real
 * PostgreSQL pin store, as behind a load balancer. A version served by one is served with the same
 * bytes by the other after its tag moves (the go client in a fresh module cache agrees), racing
 * first downloads end with one winner and no complete zip of other content, an outage of the
 * database is survived without a restart, and `pins export` / `pins import` move a record between
 * the file store and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliServer, runCli, startCliServer } from '../support/cli-server.ts';
import { createRepo, type FixtureRepo } from '../support/git-fixture.ts';
import { goModDownload } from '../support/go-client.ts';
import { rawGet } from '../support/http-get.ts';
import { POSTGRES_MISSING, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { zipHash } from '../support/zip-hash.ts';

const PROJECT = 'group/shared';
const MODULE = `go.localhost/${PROJECT}`;

describe('several instances, one PostgreSQL pin store', { skip: POSTGRES_MISSING }, () => {
  let database: TestPostgres;
  let root: string;
  let repo: FixtureRepo;
  let a: CliServer;
  let b: CliServer;
  let first: string;
  let second: string;

  const commitOn = (n: number, date: string) =>
    repo.commit({ 'go.mod': `module ${MODULE}\n\ngo 1.19\n`, 'p.go': `package p\n\nconst V = ${n}\n` }, {
      date,
      branch: null,
      parents: [],
    });
  const serve = (data: string) =>
    startCliServer([
      '--repos',
      join(root, 'repos'),
      '--data',
      join(root, data),
      '--pins',
      database.url,
      '--log-level',
      'warn',
    ]);

  before(async () => {
    database = await startPostgres();
    root = await makeTempDir('instances');
    repo = await createRepo(join(root, 'repos'), PROJECT);
    // Root commits on no branch: once a tag moves, nothing else keeps the old commit alive.
    first = await commitOn(1, '2024-01-02T03:04:05Z');
    second = await commitOn(2, '2024-02-03T04:05:06Z');
    await repo.tag('v1.0.0', first);
    [a, b] = await Promise.all([serve('a'), serve('b')]);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.remove();
    await removeDir(root);
  });

  test('served by A, re-tagged, fetched through B: the same h1; once the commit is pruned, both answer 410', async () => {
    const viaA = await goModDownload(`${MODULE}@v1.0.0`, { proxy: a.url });
    assert.equal(viaA.exitCode, 0, viaA.stderr);
    await repo.tag('v1.0.0', second);
    const viaB = await goModDownload(`${MODULE}@v1.0.0`, { proxy: b.url });
    assert.equal(viaB.exitCode, 0, viaB.stderr);
    assert.equal(viaB.json?.Sum, viaA.json?.Sum);
    assert.equal(viaB.json?.GoModSum, viaA.json?.GoModSum);
    assert.equal(
      await database.psql(`SELECT commit || ' ' || zip FROM git_goproxy_pins WHERE version = 'v1.0.0'`),
      `${first} ${viaA.json?.Sum}`,
    );

    await repo.git(['reflog', 'expire', '--expire=now', '--all']);
    await repo.git(['gc', '--quiet', '--prune=now']);
    for (const server of [a, b]) {
      const answer = await rawGet(`${server.url}/${MODULE}/@v/v1.0.0.zip`);
      assert.equal(answer.status, 410, `${server.url}: ${answer.body.toString()}`);
      assert.match(
        answer.body.toString(),
        new RegExp(`was served from commit ${first}, which is no longer in the repository`),
      );
    }
  });

  test('both instances asked at once for a version whose tag is moving: one winner, no complete zip of other content', async () => {
    const x = await commitOn(10, '2024-03-01T00:00:00Z');
    const y = await commitOn(11, '2024-03-02T00:00:00Z');
    for (let round = 0; round < 6; round++) {
      const version = `v1.2.${round}`;
      await repo.tag(version, x);
      const fromA = fetchZip(`${a.url}/${MODULE}/@v/${version}.zip`);
      await repo.tag(version, y);
      const fromB = fetchZip(`${b.url}/${MODULE}/@v/${version}.zip`);
      const answers = await Promise.all([fromA, fromB]);
      const winner = await database.psql(
        `SELECT commit || ' ' || coalesce(zip, '-') FROM git_goproxy_pins WHERE version = '${version}'`,
      );
      const [commit, zip] = winner.split(' ');
      assert.ok(commit === x || commit === y, `round ${round}: pinned ${winner}`);
      for (const answer of answers) {
        if (answer.hash !== undefined) {
          assert.equal(answer.hash, zip, `round ${round}: a complete zip of other content than the winner's`);
        }
      }
      assert.ok(
        answers.some((answer) => answer.hash !== undefined),
        `round ${round}: neither instance served the zip (${answers.map((each) => each.status).join(', ')})`,
      );
    }
  });

  test('PostgreSQL stopped: pinned versions still served, new ones 503 within the bound and never an unpinned 200; served again once it is back', async () => {
    await repo.tag('v1.3.0', second);
    await repo.tag('v1.4.0', second);
    const pinned = await rawGet(`${a.url}/${MODULE}/@v/v1.3.0.zip`);
    assert.equal(pinned.status, 200);
    await database.stop();
    try {
      const again = await rawGet(`${a.url}/${MODULE}/@v/v1.3.0.zip`);
      assert.equal(again.status, 200, 'a version pinned in this process needs no database');
      assert.deepEqual(again.body, pinned.body);

      const started = Date.now();
      for (const file of ['v1.4.0.mod', 'v1.4.0.info', 'v1.4.0.zip']) {
        const answer = await fetchZip(`${b.url}/${MODULE}/@v/${file}`);
        assert.equal(answer.status, 503, `${file}: ${answer.status}`);
        assert.match(answer.retryAfter ?? '', /^\d+$/);
      }
      assert.ok(Date.now() - started < 30_000, `three answers took ${Date.now() - started} ms`);
      assert.equal((await rawGet(`${b.url}/-/ready`)).status, 503);
      assert.match(await (await fetch(`${b.url}/metrics`)).text(), /^git_goproxy_pin_store_up 0$/m);
    } finally {
      await database.start();
    }
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await rawGet(`${b.url}/${MODULE}/@v/v1.4.0.mod`)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(status, 200, 'served again without a restart once PostgreSQL is back');
    assert.equal((await rawGet(`${b.url}/-/ready`)).status, 200);
  });

  test('pins export and pins import move the record between PostgreSQL and a pins file, both ways', async () => {
    const repos = join(root, 'repos');
    const exported = await runCli(['pins', 'export', '--repos', repos, '--pins', database.url]);
    assert.equal(exported.exitCode, 0, exported.stderr);
    const lines = exported.stdout.trim().split('\n');
    assert.ok(lines.length >= 8, exported.stdout);
    const file = join(root, 'export.jsonl');
    await writeFile(file, exported.stdout);

    const intoFile = await runCli(['pins', 'import', file, '--repos', repos, '--data', join(root, 'moved')]);
    assert.equal(intoFile.exitCode, 0, intoFile.stdout + intoFile.stderr);
    assert.match(
      intoFile.stdout,
      new RegExp(`pins import: ${lines.length} added, 0 already pinned, 0 conflicting, 0 skipped`),
    );
    const again = await runCli(['pins', 'import', file, '--repos', repos, '--data', join(root, 'moved')]);
    assert.match(
      again.stdout,
      new RegExp(`pins import: 0 added, ${lines.length} already pinned, 0 conflicting, 0 skipped`),
      'importing twice changes nothing',
    );
    const fromFile = await runCli(['pins', 'export', '--repos', repos, '--data', join(root, 'moved')]);
    assert.deepEqual(fromFile.stdout.trim().split('\n').sort(), [...lines].sort());

    await database.psql('CREATE DATABASE moved');
    const movedUrl = database.url.replace(/\/postgres$/, '/moved');
    const intoDatabase = await runCli([
      'pins',
      'import',
      join(root, 'moved', 'pins.jsonl'),
      '--repos',
      repos,
      '--pins',
      movedUrl,
    ]);
    assert.equal(intoDatabase.exitCode, 0, intoDatabase.stdout + intoDatabase.stderr);
    const roundTrip = await runCli(['pins', 'export', '--repos', repos, '--pins', movedUrl]);
    assert.deepEqual(roundTrip.stdout.trim().split('\n').sort(), [...lines].sort());

    const [line] = lines;
    const changed = line!.replace(/"commit":"[0-9a-f]{40}"/, `"commit":"${'0'.repeat(40)}"`);
    await writeFile(file, `${changed}\n`);
    const conflicting = await runCli(['pins', 'import', file, '--repos', repos, '--pins', movedUrl]);
    assert.equal(conflicting.exitCode, 1);
    assert.match(
      conflicting.stdout,
      /conflict, kept the store's pin: .*pinned commit [0-9a-f]{40} .* now commit 0{40}/,
    );
    assert.match(conflicting.stdout, /pins import: 0 added, 0 already pinned, 1 conflicting, 0 skipped/);
  });
});

/** A GET whose body may be cut (a zip aborted before its end): the status, and the zip's h1 when it is a complete zip. */
async function fetchZip(
  url: string,
): Promise<{ status: number; hash: string | undefined; retryAfter: string | undefined }> {
  try {
    const answer = await rawGet(url);
    let hash: string | undefined;
    if (answer.status === 200 && url.endsWith('.zip')) {
      try {
        hash = zipHash(answer.body);
      } catch {
        hash = undefined; // not a complete zip: cut before its end record
      }
    }
    const retryAfter = answer.headers['retry-after'];
    return { status: answer.status, hash, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter };
  } catch {
    return { status: 0, hash: undefined, retryAfter: undefined }; // the connection was cut mid-body
  }
}
