/**
 * Module zips from `git archive` through shadow repositories (lib/git/archive.ts): archived as the
 * go command archives (export-* attributes off, eol attributes on, the served repository's own
 * info/attributes unused and the repository left untouched), one shadow per repository, a
 * subdirectory limit, compression levels, and the arguments it refuses.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { unzipSync } from 'fflate';
import { type ArchiveOptions, ShadowRepos } from '../../lib/git/archive.ts';
import { GitError, gitExit } from '../../lib/git/run.ts';
import { createTempRepo, type FixtureRepo } from '../support/git-fixture.ts';
import { makeTempDir, removeDir, withTempDir } from '../support/temp.ts';

let repo: FixtureRepo;
let commit: string;
let baseDir: string;
let shadows: ShadowRepos;

before(async () => {
  repo = await createTempRepo('git-archive');
  commit = await repo.commit(
    {
      '.gitattributes': 'ignored.txt export-ignore\nsubst.txt export-subst\ncrlf.txt text eol=crlf\n',
      'ignored.txt': 'kept anyway\n',
      'subst.txt': 'commit $Format:%H$\n',
      'crlf.txt': 'one\ntwo\n',
      'plain.txt': 'one\ntwo\n',
      'sub/go.mod': 'module example.com/m/sub\n',
      'sub/crlf.txt': 'x\ny\n',
    },
    { date: '2023-01-02T03:04:05Z' },
  );
  await repo.tag('v1.0.0');
  baseDir = await makeTempDir('shadows');
  shadows = new ShadowRepos(baseDir);
});

after(async () => {
  await removeDir(baseDir);
  await removeDir(repo.root);
});

/** Runs the archive to completion and returns its entries (name → text). */
async function archive(
  dir?: string,
  options?: ArchiveOptions,
  target = shadows,
): Promise<{ raw: Buffer; files: Map<string, string> }> {
  const child = await target.archiveZip(repo.gitDir, commit, dir === undefined ? [] : [dir], options);
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  await gitExit(child);
  const raw = Buffer.concat(chunks);
  const files = new Map(Object.entries(unzipSync(raw)).map(([name, data]) => [name, Buffer.from(data).toString()]));
  return { raw, files };
}

/** Every file under `dir` with its content hash, size and mtime, and every directory's mtime. */
function fingerprint(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (path: string): void => {
    const stats = statSync(path);
    if (stats.isDirectory()) {
      out.set(path, `dir ${stats.mtimeMs}`);
      for (const name of readdirSync(path)) walk(join(path, name));
    } else {
      const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
      out.set(path, `${hash} ${stats.size} ${stats.mtimeMs}`);
    }
  };
  walk(dir);
  return out;
}

test('archives like the go command: export-* neutralised, eol attributes applied', async () => {
  const { files } = await archive();
  assert.equal(files.get('ignored.txt'), 'kept anyway\n');
  assert.equal(files.get('subst.txt'), 'commit $Format:%H$\n');
  assert.equal(files.get('crlf.txt'), 'one\r\ntwo\r\n');
  assert.equal(files.get('plain.txt'), 'one\ntwo\n');
  assert.equal(files.get('sub/crlf.txt'), 'x\r\ny\r\n', 'a root .gitattributes pattern applies below too');
});

test('the served repository is byte-for-byte unchanged and nothing is written into it', async () => {
  await withTempDir('shadows', async (freshBase) => {
    const fresh = new ShadowRepos(freshBase);
    const before = fingerprint(repo.gitDir);
    await archive(undefined, {}, fresh);
    await archive('sub', {}, fresh);
    assert.deepEqual(fingerprint(repo.gitDir), before);
  });
});

test('the real repository’s own info/attributes play no part, as in the go command’s own clone', async () => {
  const attributes = join(repo.gitDir, 'info', 'attributes');
  mkdirSync(join(repo.gitDir, 'info'), { recursive: true });
  try {
    writeFileSync(attributes, 'plain.txt text eol=crlf\nsubst.txt export-subst\n');
    const { files } = await archive();
    assert.equal(files.get('plain.txt'), 'one\ntwo\n');
    assert.equal(files.get('subst.txt'), 'commit $Format:%H$\n');
  } finally {
    rmSync(attributes, { force: true });
  }
});

test('a shadow left with other attributes (by an older server) is repaired on first use', async () => {
  const shadow = await shadows.shadowFor(repo.gitDir);
  writeFileSync(join(shadow, 'info', 'attributes'), '* text eol=crlf\n');
  const { files } = await archive(undefined, {}, new ShadowRepos(baseDir));
  assert.equal(files.get('plain.txt'), 'one\ntwo\n');
  assert.equal(readFileSync(join(shadow, 'info', 'attributes'), 'utf8'), '* -export-subst -export-ignore\n');
});

test('a directory limits the archive; a missing one fails', async () => {
  const { files } = await archive('sub');
  assert.deepEqual([...files.keys()].filter((name) => !name.endsWith('/')).sort(), ['sub/crlf.txt', 'sub/go.mod']);
  const child = await shadows.archiveZip(repo.gitDir, commit, ['missing']);
  child.stdout?.resume();
  await assert.rejects(
    gitExit(child),
    (error) => error instanceof GitError && /did not match any files/.test(error.stderrLine),
  );
});

test('a directory that looks like an option is a path', async () => {
  const child = await shadows.archiveZip(repo.gitDir, commit, ['--output=/tmp/x']);
  child.stdout?.resume();
  await assert.rejects(gitExit(child), /did not match any files/);
});

test('compression levels: store writes method 0, default deflates', async () => {
  const method = (zip: Buffer): number => zip.readUInt16LE(8);
  assert.equal(method((await archive(undefined, { level: 'store' })).raw), 0);
  assert.equal(method((await archive(undefined, { level: 'fast' })).raw), 8);
  assert.equal(method((await archive(undefined, { level: 'default' })).raw), 8);
});

test('only full commit ids are accepted', async () => {
  await assert.rejects(shadows.archiveZip(repo.gitDir, 'v1.0.0', []), TypeError);
  await assert.rejects(shadows.archiveZip(repo.gitDir, commit.slice(0, 12), []), TypeError);
});

test('one shadow per repository, shared by concurrent creators', async () => {
  await withTempDir('shadows', async (sharedBase) => {
    const one = new ShadowRepos(sharedBase);
    const two = new ShadowRepos(sharedBase);
    const paths = await Promise.all([
      one.shadowFor(repo.gitDir),
      two.shadowFor(repo.gitDir),
      one.shadowFor(repo.gitDir),
    ]);
    assert.equal(new Set(paths).size, 1);
    assert.deepEqual(readdirSync(sharedBase), [paths[0]?.slice(sharedBase.length + 1)]);
    const { files } = await archive(undefined, {}, two);
    assert.equal(files.get('crlf.txt'), 'one\r\ntwo\r\n');
  });
});

test('a repository that does not exist is an error', async () => {
  await assert.rejects(shadows.shadowFor(join(repo.root, 'nope.git')), { code: 'ENOENT' });
});
