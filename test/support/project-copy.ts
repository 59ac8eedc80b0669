/**
 * A copy of the project as a fresh clone has it, in a temp dir: the files git would check out
 * (tracked ones and new ones not ignored, as they are in the work tree now) of the package's own
 * paths, with `node_modules` linked to this clone's. For the tests that run what a user runs in a
 * clone (`node lib/server.js`, `npm pack`) without writing into the work tree.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What a clone needs to build, pack and run the server, and to read its README. */
const PACKAGE_PATHS = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'deno.json',
  'README.md',
  '.gitignore',
  'lib',
];

/** Copies the package's files into `dir` (existing, empty) and links `dir/node_modules`. */
export async function copyProject(dir: string): Promise<void> {
  const { stdout } = await run('git', [
    'ls-files',
    '-z',
    '--cached',
    '--others',
    '--exclude-standard',
    '--',
    ...PACKAGE_PATHS,
  ], {
    cwd: PROJECT_ROOT,
  });
  const files = [...new Set(stdout.split('\0').filter((file) => file !== ''))];
  for (const file of files) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await copyFile(join(PROJECT_ROOT, file), join(dir, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error; // deleted in the work tree, not yet in the index
    });
  }
  await symlink(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'));
}

/** Compiles the copy's `lib/` in place, as `npm install` (its `prepare`) does in a clone. */
export async function buildProject(dir: string): Promise<void> {
  await run(process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
    cwd: dir,
  });
}
