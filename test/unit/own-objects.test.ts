/**
 * A repository's own object store (lib/git/own-objects.ts): a loose object and an object in one of
 * its packs (index versions 1 and 2) are its own; an object it reaches only through
 * `objects/info/alternates`, and one no store has, are not.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
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
