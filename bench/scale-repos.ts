/**
 * The repositories of the scale benchmark (bench/scale.ts, issue #16), each written by one
 * `git fast-import` run with fixed dates:
 * - a monorepo of `modules` nested modules (`mod000`…) tagged `modNNN/v1.<i>.0` on each of `tagsPerModule`
 *   commits (annotated tags, all packed, so packed-refs carries their peeled `^` lines), plus
 *   `pulls` `refs/pull/<n>/head` refs, as a GitHub mirror has;
 * - a repository whose root module has `tags` versions;
 * - minimal bare repositories (what discovery looks at, no commits), by the thousand;
 * - and, not a repository, a pin record of pseudo-versions (also what `bench/pin-load.ts` loads).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PINS_FILE } from '../lib/pins/file-store.ts';
import { pinLine } from '../lib/pins/record-line.ts';

/** 2023-11-14T22:13:20Z, then a minute per commit. */
const FIRST_DATE = 1_700_000_000;

/** The monorepo's shape. */
export interface MonorepoSpec {
  readonly modules: number;
  readonly tagsPerModule: number;
  readonly pulls: number;
}

/** The directory of the monorepo's `index`th module: `mod007`. */
export function nestedModuleDir(index: number): string {
  return `mod${String(index).padStart(3, '0')}`;
}

/** The least a directory needs to be found as a bare repository: `objects/`, `refs/` and `HEAD` (bench/discovery.ts). */
export function minimalRepo(path: string): void {
  mkdirSync(join(path, 'objects'), { recursive: true });
  mkdirSync(join(path, 'refs'));
  writeFileSync(join(path, 'HEAD'), 'ref: refs/heads/main\n');
}

/** A monorepo with nested modules, each tagged on every commit, and pull refs; all refs packed. */
export async function generateMonorepo(gitDir: string, modulePath: string, spec: MonorepoSpec): Promise<void> {
  const commands: string[] = [];
  for (let m = 0; m < spec.modules; m++) {
    const dir = nestedModuleDir(m);
    commands.push(blob(m + 1, `module ${modulePath}/${dir}\n\ngo 1.19\n`));
  }
  const rootMark = spec.modules + 1;
  commands.push(blob(rootMark, `module ${modulePath}\n\ngo 1.19\n`));
  const modFiles = Array.from({ length: spec.modules }, (_, m) => `M 100644 :${m + 1} ${nestedModuleDir(m)}/go.mod\n`);
  for (let i = 0; i < spec.tagsPerModule; i++) {
    const mark = rootMark + 1 + 2 * i;
    const changes = i === 0 ? [`M 100644 :${rootMark} go.mod\n`, ...modFiles] : [];
    commands.push(blob(mark, `package p\n\nconst N = ${i}\n`));
    commands.push(commit(mark + 1, i, i === 0 ? undefined : mark - 1, [...changes, `M 100644 :${mark} p.go\n`]));
    for (let m = 0; m < spec.modules; m++) commands.push(annotatedTag(`${nestedModuleDir(m)}/v1.${i}.0`, mark + 1, i));
  }
  const lastCommit = rootMark + 2 * spec.tagsPerModule;
  for (let p = 1; p <= spec.pulls; p++) {
    commands.push(`reset refs/pull/${p}/head\nfrom :${lastCommit - 2 * (p % spec.tagsPerModule)}\n\n`);
  }
  await fastImport(gitDir, commands);
  await git(gitDir, ['pack-refs', '--all']);
}

/** A repository whose root module is tagged `v1.<i>.0` on each of `tags` commits (lightweight tags, packed). */
export async function generateManyVersions(gitDir: string, modulePath: string, tags: number): Promise<void> {
  const commands = [blob(1, `module ${modulePath}\n\ngo 1.19\n`)];
  for (let i = 0; i < tags; i++) {
    const mark = 2 + 2 * i;
    commands.push(blob(mark, `package p\n\nconst N = ${i}\n`));
    const changes = [...(i === 0 ? ['M 100644 :1 go.mod\n'] : []), `M 100644 :${mark} p.go\n`];
    commands.push(commit(mark + 1, i, i === 0 ? undefined : mark - 1, changes));
    commands.push(`reset refs/tags/v1.${i}.0\nfrom :${mark + 1}\n\n`);
  }
  await fastImport(gitDir, commands);
  await git(gitDir, ['pack-refs', '--all']);
}

function blob(mark: number, text: string): string {
  return `blob\nmark :${mark}\ndata ${Buffer.byteLength(text)}\n${text}\n`;
}

function commit(mark: number, minute: number, parent: number | undefined, changes: string[]): string {
  const who = `Bench <bench@example.com> ${FIRST_DATE + 60 * minute} +0000`;
  const message = `commit ${minute}\n`;
  const header =
    `commit refs/heads/main\nmark :${mark}\nauthor ${who}\ncommitter ${who}\ndata ${message.length}\n${message}`;
  return `${header}${parent === undefined ? '' : `from :${parent}\n`}${changes.join('')}\n`;
}

function annotatedTag(name: string, commitMark: number, minute: number): string {
  const message = `${name}\n`;
  return `tag ${name}\nfrom :${commitMark}\ntagger Bench <bench@example.com> ${
    FIRST_DATE + 60 * minute
  } +0000\ndata ${message.length}\n${message}\n`;
}

/** A new bare repository at `gitDir` filled by one `git fast-import` run of `commands`. */
async function fastImport(gitDir: string, commands: string[]): Promise<void> {
  await mkdir(gitDir, { recursive: true });
  await git(gitDir, ['init', '--quiet', '--bare', '--initial-branch=main', gitDir]);
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', [`--git-dir=${gitDir}`, 'fast-import', '--quiet', '--done'], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import exited with ${code}`))));
    child.stdin.end(`${commands.join('')}done\n`);
  });
}

function git(gitDir: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { stdio: ['ignore', 'ignore', 'inherit'], cwd: gitDir });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`git ${args[0]} exited with ${code}`))));
  });
}

/** A pin record (`<dataDir>/pins.jsonl`) of `count` pseudo-versions over 1,000 modules of 100 projects under `host`, as CI builds leave behind. */
export async function writePinRecord(dataDir: string, count: number, host: string): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const out = createWriteStream(join(dataDir, PINS_FILE));
  const hash = Buffer.alloc(32);
  for (let i = 0; i < count; i++) {
    hash.writeUInt32BE(i);
    const h1 = `h1:${hash.toString('base64')}`;
    const stamp = new Date(Date.UTC(2020, 0, 1) + i * 1000).toISOString();
    const project = `group${i % 100}/module${i % 1000}`;
    const version = `v0.0.0-${stamp.replace(/[-:T]/g, '').slice(0, 14)}-${i.toString(16).padStart(12, '0')}`;
    const line = pinLine({
      project,
      module: `${host}/${project}`,
      version,
      commit: i.toString(16).padStart(40, '0'),
      time: stamp.replace(/\.\d+Z$/, 'Z'),
      mod: h1,
      zip: h1,
    });
    if (!out.write(`${line}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}
