/**
 * The index of the upstream cache by module (lib/upstream/cached-modules.ts): pages in module path
 * order with versions newest first, files leaving with the cache, the bound, and the journal it is
 * rebuilt from at start (entries whose file the cache let go meanwhile dropped).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CachedEntry, CachedModules } from '../../lib/upstream/cached-modules.ts';
import { withTempDir } from '../support/temp.ts';

const keyOf = (entry: CachedEntry) => `${entry.file} ${entry.module}@${entry.version}`;

/** An index over a pretend cache: `held` is what the cache holds. */
function indexIn(dir: string, held: Set<string>, maxFiles = 100): CachedModules {
  return new CachedModules({ journal: join(dir, 'modules.jsonl'), maxFiles, keyOf, holds: (key) => held.has(key) });
}

function add(index: CachedModules, held: Set<string>, entry: CachedEntry): void {
  held.add(keyOf(entry));
  index.add(keyOf(entry), entry);
}

test('pages of modules in path order, versions newest first with their files; files leave as the cache lets them go', async () => {
  await withTempDir('cached-modules', async (dir) => {
    const held = new Set<string>();
    const index = indexIn(dir, held);
    add(index, held, { module: 'golang.org/x/mod', version: 'v0.9.0', file: 'zip' });
    add(index, held, { module: 'github.com/b/b', version: 'v1.10.0', file: 'mod' });
    add(index, held, { module: 'github.com/b/b', version: 'v1.9.0', file: 'info' });
    add(index, held, { module: 'github.com/b/b', version: 'v1.10.0', file: 'zip' });
    add(index, held, { module: 'github.com/b/b', version: 'v1.10.0', file: 'info' });
    add(index, held, { module: 'github.com/a/a', version: 'v0.1.0', file: 'mod' });
    add(index, held, { module: 'github.com/a/a', version: 'v0.1.0', file: 'mod' }); // again: once
    assert.deepEqual(index.page(0, 10), {
      total: 3,
      modules: [
        { modulePath: 'github.com/a/a', versions: [{ version: 'v0.1.0', files: ['mod'] }] },
        {
          modulePath: 'github.com/b/b',
          versions: [{ version: 'v1.10.0', files: ['info', 'mod', 'zip'] }, { version: 'v1.9.0', files: ['info'] }],
        },
        { modulePath: 'golang.org/x/mod', versions: [{ version: 'v0.9.0', files: ['zip'] }] },
      ],
    });
    assert.deepEqual(index.page(1, 1).modules.map((m) => m.modulePath), ['github.com/b/b']);
    assert.deepEqual(index.page(3, 10), { total: 3, modules: [] });
    index.removed(keyOf({ module: 'github.com/b/b', version: 'v1.9.0', file: 'info' }));
    index.removed(keyOf({ module: 'github.com/a/a', version: 'v0.1.0', file: 'mod' }));
    index.removed('a key it never had');
    assert.deepEqual(index.page(0, 10).modules.map((m) => [m.modulePath, m.versions.map((v) => v.version)]), [
      ['github.com/b/b', ['v1.10.0']],
      ['golang.org/x/mod', ['v0.9.0']],
    ]);
    await index.flushed();
  });
});

test('bounded: past maxFiles the oldest entries leave the index', async () => {
  await withTempDir('cached-modules', async (dir) => {
    const held = new Set<string>();
    const index = indexIn(dir, held, 3);
    for (const module of ['m/d', 'm/c', 'm/b', 'm/a']) add(index, held, { module, version: 'v1.0.0', file: 'zip' });
    assert.deepEqual(index.page(0, 10).modules.map((m) => m.modulePath), ['m/a', 'm/b', 'm/c']);
    await index.flushed();
  });
});

test('rebuilt at start from its journal, keeping what the cache still holds; the journal is written again, compacted', async () => {
  await withTempDir('cached-modules', async (dir) => {
    const held = new Set<string>();
    const first = indexIn(dir, held, 2);
    add(first, held, { module: 'm/kept', version: 'v1.0.0', file: 'zip' });
    add(first, held, { module: 'm/gone', version: 'v1.0.0', file: 'zip' });
    add(first, held, { module: 'm/kept', version: 'v1.1.0', file: 'mod' }); // drops m/kept@v1.0.0 from the index
    await first.flushed();
    const journal = join(dir, 'modules.jsonl');
    assert.equal((await readFile(journal, 'utf8')).trim().split('\n').length, 3);
    held.delete(keyOf({ module: 'm/gone', version: 'v1.0.0', file: 'zip' })); // the cache let it go meanwhile
    await writeFile(journal, `${await readFile(journal, 'utf8')}not json\n{"module":1}\n`);
    const second = indexIn(dir, held, 2);
    assert.deepEqual(second.page(0, 10).modules, [
      {
        modulePath: 'm/kept',
        versions: [{ version: 'v1.1.0', files: ['mod'] }, { version: 'v1.0.0', files: ['zip'] }],
      },
    ]);
    await second.flushed();
    assert.equal((await readFile(journal, 'utf8')).trim().split('\n').length, 2);
    // Grown to twice the bound, it is written again with what is indexed.
    for (const version of ['v2.0.0', 'v2.1.0', 'v2.2.0']) add(second, held, { module: 'm/new', version, file: 'zip' });
    await second.flushed();
    assert.deepEqual((await readFile(journal, 'utf8')).trim().split('\n').map((line) => JSON.parse(line).version), [
      'v2.1.0',
      'v2.2.0',
    ]);
  });
});

test('a journal that cannot be written leaves the index in memory right (and is logged)', async () => {
  await withTempDir('cached-modules', async (dir) => {
    const held = new Set<string>();
    const index = new CachedModules({
      journal: join(dir, 'no-such-directory', 'modules.jsonl'),
      maxFiles: 10,
      keyOf,
      holds: (key) => held.has(key),
    });
    add(index, held, { module: 'm/a', version: 'v1.0.0', file: 'zip' });
    await index.flushed();
    assert.deepEqual(index.page(0, 10).modules.map((m) => m.modulePath), ['m/a']);
  });
});
