import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Limiter } from '../../lib/git/limiter.ts';
import { GitRepository } from '../../lib/modules/git-repository.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempRepo, type FixtureRepo } from '../support/git-fixture.ts';
import { removeDir } from '../support/temp.ts';

let scratch: FixtureRepo;
let repository: GitRepository;
let shared: string;
let pair: string[];

// 600 commits on no ref: some two of them share a 4-digit prefix.
before(async () => {
  scratch = await createTempRepo('git-repository');
  repository = new GitRepository(scratch.gitDir, new Limiter({ concurrency: 2 }));
  const tree = (await scratch.git(['hash-object', '-t', 'tree', '-w', '--stdin'], '')).trim();
  const texts = Array.from(
    { length: 600 },
    (_, i) => `tree ${tree}\nauthor a <a> 1 +0000\ncommitter a <a> 1 +0000\n\nc${i}\n`,
  );
  const dir = join(scratch.root, 'c');
  await mkdir(dir);
  const paths = texts.map((_, i) => join(dir, String(i)));
  await Promise.all(texts.map((text, i) => writeFile(paths[i], text)));
  const oids = (await scratch.git(['hash-object', '-t', 'commit', '-w', '--stdin-paths'], paths.join('\n'))).trim()
    .split('\n');
  const seen = new Set<string>();
  shared = oids.map((oid) => oid.slice(0, 4)).find((prefix) => seen.has(prefix) || !seen.add(prefix)) ?? '';
  pair = oids.filter((oid) => oid.startsWith(shared));
});

after(async () => {
  await repository.close();
  await removeDir(scratch.root);
});

const refsOf = (...branches: string[]) => ({
  branches: new Map(branches.map((oid, i) => [`b${i}`, oid])),
  tags: new Map<string, string>(),
});

test('a prefix resolves among the commits the refs reach: others neither match nor make it ambiguous', async () => {
  const resolve = (hex: string, ...tips: string[]) => repository.codeHost.resolveHexPrefix(hex, refsOf(...tips));
  assert.ok(pair.length >= 2, '600 commits share some 4-digit prefix');
  assert.equal(await resolve(shared), undefined, 'no ref reaches any of them');
  assert.deepEqual(await resolve(shared, pair[0]), { oid: pair[0] });
  assert.deepEqual(await resolve(shared, pair[0], pair[1]), { ambiguous: true });
  assert.equal(await resolve(pair[0].slice(0, 12)), undefined, 'a unique commit no ref reaches');
  assert.deepEqual(await resolve(pair[0].slice(0, 12), pair[0]), { oid: pair[0] });
  assert.equal(await resolve('0000000'), undefined);
});
