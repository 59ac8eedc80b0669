/**
 * A repository's own object store (lib/git/own-objects.ts): a loose object and an object in one of
 * its packs (index versions 1 and 2) are its own; an object it reaches only through
 * `objects/info/alternates`, and one no store has, are not; a repack between the listing of the
 * packs and their reading does not make an object vanish.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { hasOwnObject } from '../../lib/git/own-objects.ts';
import { createRepo } from '../support/git-fixture.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const root = await makeTempDir('own-objects');
after(() => removeDir(root));

test('loose and packed objects are its own; borrowed and unknown ones are not', async () => {
  const pool = await createRepo(root, 'pool');
  const borrowed = await pool.commit({ 'a.txt': 'pool\n' }, { date: '2024-01-01T00:00:00Z' });
  const repo = await createRepo(root, 'repo');
  await writeFile(join(repo.gitDir, 'objects/info/alternates'), `${join(pool.gitDir, 'objects')}\n`);
  const packed = await repo.commit({ 'b.txt': 'packed\n' }, { date: '2024-01-02T00:00:00Z' });
  await repo.git(['repack', '-a', '-d', '-l', '-q']);
  const loose = await repo.commit({ 'c.txt': 'loose\n' }, { date: '2024-01-03T00:00:00Z', parents: [packed] });
  assert.equal(await hasOwnObject(repo.gitDir, loose), true, 'loose');
  assert.equal(await hasOwnObject(repo.gitDir, packed), true, 'packed (index v2)');
  assert.equal(await hasOwnObject(repo.gitDir, borrowed), false, 'only through alternates');
  assert.equal(await hasOwnObject(pool.gitDir, borrowed), true, "the pool's own");
  assert.equal(await hasOwnObject(repo.gitDir, '0'.repeat(40)), false, 'nowhere');
  assert.equal(await hasOwnObject(repo.gitDir, 'f'.repeat(40)), false, 'nowhere, past every fan-out bucket');

  await repo.git(['-c', 'pack.indexVersion=1', 'repack', '-a', '-d', '-l', '-q']);
  assert.equal(await hasOwnObject(repo.gitDir, loose), true, 'packed (index v1)');
  assert.equal(await hasOwnObject(repo.gitDir, packed), true, 'packed (index v1)');
  assert.equal(await hasOwnObject(repo.gitDir, borrowed), false, 'only through alternates');
});

test('a repack (loose objects packed, old packs deleted) between listing the packs and reading them', async () => {
  const repo = await createRepo(root, 'repacked');
  const packed = await repo.commit({ 'a.txt': 'a\n' }, { date: '2024-01-01T00:00:00Z' });
  await repo.git(['repack', '-a', '-d', '-q']);
  const loose = await repo.commit({ 'b.txt': 'b\n' }, { date: '2024-01-02T00:00:00Z', parents: [packed] });
  // node:fs/promises' readdir is wrapped to repack right after the pack directory was listed, as a
  // `git gc` does meanwhile: the listed pack is gone and the loose object is in a pack not listed.
  const fsPromises = createRequire(import.meta.url)('node:fs/promises') as typeof import('node:fs/promises');
  const { readdir } = fsPromises;
  const packDir = join(repo.gitDir, 'objects', 'pack');
  let repacks = 0;
  fsPromises.readdir = (async (...args: Parameters<typeof readdir>) => {
    const entries = await readdir(...args);
    if (repacks < 2 && args[0] === packDir) {
      repacks++;
      execFileSync('git', [`--git-dir=${repo.gitDir}`, 'repack', '-a', '-d', '-q', '-f', '--window=0']);
      execFileSync('git', [`--git-dir=${repo.gitDir}`, 'prune-packed']);
    }
    return entries;
  }) as typeof readdir;
  syncBuiltinESMExports();
  try {
    assert.equal(await hasOwnObject(repo.gitDir, packed), true, 'in a pack deleted under the lookup');
    assert.equal(repacks, 2, 'repacked while it looked');
    assert.equal(await hasOwnObject(repo.gitDir, loose), true, 'moved into a pack meanwhile');
  } finally {
    fsPromises.readdir = readdir;
    syncBuiltinESMExports();
  }
});
