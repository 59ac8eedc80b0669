/**
 * The project index (lib/access/projects.ts): bare repositories discovered under the repositories
 * directory, configured ids, module paths, visibility and repositories elsewhere, the longest
 * matching module path prefix, and repositories created after start-up.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { resolveOptions } from '../../lib/cli/config.ts';
import { ProjectIndex } from '../../lib/access/projects.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const root = await makeTempDir('projects');
after(() => removeDir(root));

function bareRepo(path: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  execFileSync('git', ['init', '-q', '--bare', path]);
  return path;
}

const repos = join(root, 'repos');
bareRepo(join(repos, 'group/sub/name.git'));
bareRepo(join(repos, 'group/plain'));
bareRepo(join(repos, 'golang/sync.git'));
bareRepo(join(repos, 'bad name/x.git')); // not a valid module path element: skipped
mkdirSync(join(repos, 'empty-dir'), { recursive: true });
const elsewhere = bareRepo(join(root, 'elsewhere/tool.git'));

const index = new ProjectIndex(
  resolveOptions({
    repos,
    moduleHost: 'git.example.com',
    projects: [
      { path: 'golang/sync', id: 7, modulePath: 'golang.org/x/sync' },
      { path: 'tools/tool', id: 9, repo: elsewhere, visibility: 'private' },
    ],
  }),
);

test('discovers bare repositories and names them by their path without .git', () => {
  assert.deepEqual(
    index.all().map((p) => p.fullPath),
    ['golang/sync', 'group/plain', 'group/sub/name', 'tools/tool'],
  );
  assert.equal(index.byId('group/sub/name')?.modulePath, 'git.example.com/group/sub/name');
  assert.equal(index.byId('group/sub/name')?.gitDir, join(repos, 'group/sub/name.git'));
});

test('config gives ids, vanity module paths, visibility and repositories elsewhere', () => {
  assert.equal(index.byId('7')?.modulePath, 'golang.org/x/sync');
  assert.equal(index.byId('9')?.gitDir, elsewhere);
  assert.equal(index.byId('9')?.visibility, 'private');
  assert.equal(index.byId('group/plain')?.visibility, 'local');
  assert.equal(index.byId('404'), undefined);
});

test('module paths find the project with the longest matching prefix', () => {
  assert.deepEqual(index.forModule('git.example.com/group/sub/name/pkg/v2')?.rest, 'pkg/v2');
  assert.equal(index.forModule('git.example.com/group/sub/name')?.project.fullPath, 'group/sub/name');
  assert.equal(index.forModule('golang.org/x/sync/errgroup')?.project.fullPath, 'golang/sync');
  assert.equal(index.forModule('git.example.com/group/sub'), undefined);
  assert.equal(index.forModule('git.example.com/group/sub/namex'), undefined);
});

test('a repository created after start-up is found on a later miss', async () => {
  bareRepo(join(repos, 'late/comer.git'));
  await new Promise((resolve) => setTimeout(resolve, 2100));
  assert.equal(index.forModule('git.example.com/late/comer')?.project.fullPath, 'late/comer');
});
