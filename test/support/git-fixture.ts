/**
 * Builds bare git repositories for tests, quickly and deterministically, with git plumbing only.
 *
 * No work tree is involved: blobs are written with `hash-object`, trees are assembled in a
 * throw-away index (`GIT_INDEX_FILE` + `update-index --index-info`, `write-tree`), commits are made
 * with `commit-tree` under fixed names and caller-given dates, refs are moved with `update-ref`,
 * annotated tags are written with `mktag`. The same calls with the same dates give the same object
 * ids on every machine, so tests can compare hashes across runs and across repositories.
 *
 * `createRepo(root, 'group/name')` makes `root/group/name.git`, the layout the direct-mode oracle
 * and the proxy's project lookup expect; `createTempRepo(label)` makes one repository alone in a
 * fresh temp dir, for tests of the git layer (remove it with `removeDir(repo.root)`).
 *
 * This is the one repository builder of the test suite: every test that needs a repository makes
 * it here, large ones too (`{ blob }` entries reuse a blob written once with `writeBlob`).
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeDir } from './temp.ts';

/** The bytes of a file: a string is written as UTF-8. */
export type FileBytes = string | Uint8Array;

/**
 * What a path becomes in the next commit: a regular file (mode 100644), an executable file
 * (100755), a symbolic link (120000, the blob holds the target), a submodule entry (160000, pointing
 * at a commit that need not exist here), a regular file whose blob is already in the repository
 * (by id, from `writeBlob`), or `null` to delete the file.
 */
export type FileEntry =
  | FileBytes
  | { readonly exec: FileBytes }
  | { readonly symlink: string }
  | { readonly gitlink: string }
  | { readonly blob: string }
  | null;

/** An entry whose object id is given rather than written: a gitlink's commit or an existing blob. */
type ObjectRef = { readonly gitlink: string } | { readonly blob: string };

/** Changes to make on top of the base commit's tree, by slash-separated path. */
export type FileChanges = Readonly<Record<string, FileEntry>>;

/**
 * A point in time for git. A `Date` is written in UTC (`+0000`) unless a time zone is given; an ISO
 * 8601 string must carry its offset (`Z` or `+05:30`), which git then records as is.
 */
export type GitTime = Date | string;

/** How to make a commit. */
export interface CommitOptions {
  /** Committer date; also the author date unless `authorDate` is given. */
  readonly date: GitTime;
  /** Author date when it should differ from the committer date. */
  readonly authorDate?: GitTime;
  /** Offset to record for both dates, like `+0530` or `-0800`; overrides the offset of an ISO string. */
  readonly timeZone?: string;
  /** Commit message; a trailing newline is added when missing. Default `fixture commit`. */
  readonly message?: string;
  /** Branch to build on and advance (default: the repository's default branch); `null` moves no branch. */
  readonly branch?: string | null;
  /** Explicit parents (`[]` for a root commit); default: the current tip of `branch`, if any. */
  readonly parents?: readonly string[];
}

/** How to make a tag. */
export interface TagOptions {
  /** Write an annotated tag object instead of a lightweight ref. */
  readonly annotated?: boolean;
  /** Tagger date of an annotated tag; default 2000-01-01T00:00:00Z. */
  readonly date?: GitTime;
  /** Offset to record for the tagger date, like `+0530`. */
  readonly timeZone?: string;
  /** Message of an annotated tag; default `tag <name>`. */
  readonly message?: string;
}

/** How to create a repository. */
export interface RepoOptions {
  /** Branch HEAD points at and commits go to by default; default `main`. */
  readonly defaultBranch?: string;
}

const AUTHOR = { name: 'Fixture Author', email: 'author@fixture.example' };
const COMMITTER = { name: 'Fixture Committer', email: 'committer@fixture.example' };
const TAGGER = { name: 'Fixture Tagger', email: 'tagger@fixture.example' };
const DEFAULT_TAG_DATE = '2000-01-01T00:00:00Z';
const ZERO_OID = '0000000000000000000000000000000000000000';

/**
 * Creates an empty bare repository at `root/<fullPath>.git` (parent directories included) and
 * returns a handle that adds commits, tags and branches to it.
 */
export async function createRepo(root: string, fullPath: string, options: RepoOptions = {}): Promise<FixtureRepo> {
  assertFullPath(fullPath);
  const gitDir = join(root, `${fullPath}.git`);
  const defaultBranch = options.defaultBranch ?? 'main';
  await mkdir(gitDir, { recursive: true });
  await runGit(['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, '--', gitDir]);
  return new FixtureRepo(root, gitDir, fullPath, defaultBranch);
}

/** Creates an empty bare repository `repo.git` alone in a fresh temp dir (`repo.root`). */
export async function createTempRepo(label: string, options: RepoOptions = {}): Promise<FixtureRepo> {
  const root = await makeTempDir(label);
  try {
    return await createRepo(root, 'repo', options);
  } catch (error) {
    await removeDir(root);
    throw error;
  }
}

/** A bare repository being built by a test. Every method runs git plumbing in `gitDir`. */
export class FixtureRepo {
  /** The directory it was created under. */
  readonly root: string;
  /** Absolute path of the bare repository (`…/name.git`). */
  readonly gitDir: string;
  /** The path it was created under, without `.git` (`group/name`). */
  readonly fullPath: string;
  /** The branch commits go to when `CommitOptions.branch` is not given. */
  readonly defaultBranch: string;
  #lastCommit: string | undefined;

  constructor(root: string, gitDir: string, fullPath: string, defaultBranch: string) {
    this.root = root;
    this.gitDir = gitDir;
    this.fullPath = fullPath;
    this.defaultBranch = defaultBranch;
  }

  /** Runs `git --git-dir=<gitDir> <args>` with the fixture's environment and returns its stdout. */
  async git(args: readonly string[], input?: Uint8Array | string, env: NodeJS.ProcessEnv = {}): Promise<string> {
    return runGit([`--git-dir=${this.gitDir}`, ...args], input, env);
  }

  /** Writes `content` as a blob and returns its id, for `{ blob }` entries. */
  async writeBlob(content: FileBytes): Promise<string> {
    return (await this.git(['hash-object', '-w', '--no-filters', '--stdin'], content)).trim();
  }

  /**
   * Commits `files` on top of the base commit's tree and returns the new commit id. The base is
   * `parents[0]` when parents are given, else the tip of the branch (none for a new branch).
   */
  async commit(files: FileChanges, options: CommitOptions): Promise<string> {
    const branch = options.branch === undefined ? this.defaultBranch : options.branch;
    const parents = options.parents ?? (branch === null ? [] : await this.#branchTip(branch));
    const tree = await this.#buildTree(parents[0], files);
    const committerDate = gitTimestamp(options.date, options.timeZone);
    const authorDate = gitTimestamp(options.authorDate ?? options.date, options.timeZone);
    const parentArgs = parents.flatMap((parent) => ['-p', parent]);
    const oid = (
      await this.git(
        ['commit-tree', ...parentArgs, '--end-of-options', tree],
        withNewline(options.message ?? 'fixture commit'),
        {
          GIT_AUTHOR_NAME: AUTHOR.name,
          GIT_AUTHOR_EMAIL: AUTHOR.email,
          GIT_AUTHOR_DATE: authorDate,
          GIT_COMMITTER_NAME: COMMITTER.name,
          GIT_COMMITTER_EMAIL: COMMITTER.email,
          GIT_COMMITTER_DATE: committerDate,
        },
      )
    ).trim();
    if (branch !== null) await this.branch(branch, oid);
    this.#lastCommit = oid;
    return oid;
  }

  /**
   * Points `refs/tags/<name>` at `target` (default: the last commit made through this handle), or
   * at a new annotated tag object for it; returns the id the ref points at (the tag object's id for
   * annotated tags). `target` may be any object, including another tag.
   */
  async tag(name: string, target?: string, options: TagOptions = {}): Promise<string> {
    const object = target ?? this.#lastCommit;
    if (object === undefined) throw new Error(`tag ${name}: no target given and no commit made yet`);
    const refTarget = options.annotated ? await this.#writeTagObject(name, object, options) : object;
    await this.updateRef(`refs/tags/${name}`, refTarget);
    return refTarget;
  }

  /** Creates or moves `refs/heads/<name>` to `target`. */
  async branch(name: string, target: string): Promise<void> {
    await this.updateRef(`refs/heads/${name}`, target);
  }

  /** Creates or moves any ref (e.g. `refs/merge-requests/1/head`) to `target`. */
  async updateRef(ref: string, target: string): Promise<void> {
    await this.git(['update-ref', '--end-of-options', ref, target]);
  }

  /** Makes HEAD a symbolic ref to `refs/heads/<branch>` (the branch need not exist yet). */
  async setHead(branch: string): Promise<void> {
    await this.git(['symbolic-ref', '--end-of-options', 'HEAD', `refs/heads/${branch}`]);
  }

  /** Deletes `refs/tags/<name>`. */
  async deleteTag(name: string): Promise<void> {
    await this.git(['update-ref', '-d', '--end-of-options', `refs/tags/${name}`]);
  }

  /** Deletes `refs/heads/<name>`. */
  async deleteBranch(name: string): Promise<void> {
    await this.git(['update-ref', '-d', '--end-of-options', `refs/heads/${name}`]);
  }

  /** Moves all loose refs into `packed-refs`, as `git gc` would on a server. */
  async packRefs(): Promise<void> {
    await this.git(['pack-refs', '--all', '--prune']);
  }

  /** The full object id `rev` names (`v1.0.0^{commit}`, `main`, an abbreviated hash…). */
  async resolve(rev: string): Promise<string> {
    return (await this.git(['rev-parse', '--verify', '--quiet', '--end-of-options', rev])).trim();
  }

  async #branchTip(branch: string): Promise<string[]> {
    const out = await this.git(['for-each-ref', '--format=%(objectname)', '--end-of-options', `refs/heads/${branch}`]);
    const tip = out.trim();
    return tip === '' ? [] : [tip];
  }

  /** Writes the tree of `base` (or the empty tree) with `files` applied, in a throw-away index. */
  async #buildTree(base: string | undefined, files: FileChanges): Promise<string> {
    const scratch = await makeTempDir('fixture-index');
    try {
      const env = { GIT_INDEX_FILE: join(scratch, 'index') };
      await this.git(
        base === undefined ? ['read-tree', '--empty'] : ['read-tree', '--end-of-options', base],
        undefined,
        env,
      );
      const entries = await this.#indexEntries(files, scratch);
      await this.git(['update-index', '-z', '--index-info'], entries, env);
      return (await this.git(['write-tree'], undefined, env)).trim();
    } finally {
      await removeDir(scratch);
    }
  }

  /** `update-index -z --index-info` input: deletions first, so a file can become a directory. */
  async #indexEntries(files: FileChanges, scratch: string): Promise<string> {
    const paths = Object.keys(files);
    const deletions = paths.filter((path) => files[path] === null).map((path) => `0 ${ZERO_OID}\t${path}\0`);
    const kept = paths.filter((path) => files[path] !== null);
    const modes = kept.map((path) => entryMode(files[path]!));
    const blobs = kept.map((path) => entryBlob(files[path]!));
    const blobIds = await this.#writeBlobs(blobs, scratch);
    const additions = kept.map((path, i) => `${modes[i]} ${blobIds[i]}\t${path}\0`);
    return [...deletions, ...additions].join('');
  }

  /** Writes blobs with one `hash-object --stdin-paths`; a gitlink or an existing blob passes its id through. */
  async #writeBlobs(blobs: readonly (FileBytes | ObjectRef)[], scratch: string): Promise<string[]> {
    const files: string[] = [];
    for (const [i, blob] of blobs.entries()) {
      if (isObjectRef(blob)) continue;
      const file = join(scratch, `blob-${i}`);
      await writeFile(file, blob);
      files.push(file);
    }
    const written = files.length === 0
      ? []
      : (await this.git(['hash-object', '-w', '--no-filters', '--stdin-paths'], files.map((f) => `${f}\n`).join('')))
        .trim().split('\n');
    return blobs.map((blob) => (isObjectRef(blob) ? objectId(blob) : written.shift()!));
  }

  async #writeTagObject(name: string, object: string, options: TagOptions): Promise<string> {
    const type = (await this.git(['cat-file', '-t', '--end-of-options', object])).trim();
    const tagger = `${TAGGER.name} <${TAGGER.email}> ${
      gitTimestamp(options.date ?? DEFAULT_TAG_DATE, options.timeZone)
    }`;
    const body = `object ${object}\ntype ${type}\ntag ${name}\ntagger ${tagger}\n\n${
      withNewline(options.message ?? `tag ${name}`)
    }`;
    return (await this.git(['mktag'], body)).trim();
  }
}

/**
 * Git's internal date format, `<unix seconds> <+hhmm>`, so git never guesses a time zone.
 * A string without an explicit offset is refused: it would mean local time, which differs by machine.
 */
export function gitTimestamp(time: GitTime, timeZone?: string): string {
  if (timeZone !== undefined && !/^[+-]\d{4}$/.test(timeZone)) {
    throw new Error(`bad time zone ${JSON.stringify(timeZone)}: want +hhmm or -hhmm`);
  }
  if (time instanceof Date) return `${Math.floor(time.getTime() / 1000)} ${timeZone ?? '+0000'}`;
  const offset = /(Z|[+-]\d\d:?\d\d)$/.exec(time);
  const millis = Date.parse(time);
  if (offset === null || Number.isNaN(millis)) {
    throw new Error(`bad date ${JSON.stringify(time)}: want ISO 8601 with Z or an offset`);
  }
  const zone = offset[1] === 'Z' ? '+0000' : offset[1]!.replace(':', '');
  return `${Math.floor(millis / 1000)} ${timeZone ?? zone}`;
}

function entryMode(entry: Exclude<FileEntry, null>): string {
  if (typeof entry === 'string' || entry instanceof Uint8Array || 'blob' in entry) return '100644';
  if ('exec' in entry) return '100755';
  if ('symlink' in entry) return '120000';
  return '160000';
}

function entryBlob(entry: Exclude<FileEntry, null>): FileBytes | ObjectRef {
  if (typeof entry === 'string' || entry instanceof Uint8Array) return entry;
  if ('exec' in entry) return entry.exec;
  if ('symlink' in entry) return entry.symlink;
  return entry;
}

function isObjectRef(blob: FileBytes | ObjectRef): blob is ObjectRef {
  return typeof blob === 'object' && !(blob instanceof Uint8Array);
}

function objectId(ref: ObjectRef): string {
  return 'gitlink' in ref ? ref.gitlink : ref.blob;
}

function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

function assertFullPath(fullPath: string): void {
  const segments = fullPath.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`bad repository path ${JSON.stringify(fullPath)}`);
  }
}

/** The environment for fixture git runs: no user or system config, no inherited GIT_* variables. */
function fixtureEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value;
  return { ...env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', ...extra };
}

/**
 * Spawns git with an argument array and resolves with its stdout, or rejects with its stderr.
 * NTFS/HFS path protection is off so tests can build trees with names the go command must judge.
 */
function runGit(args: readonly string[], input?: Uint8Array | string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const fullArgs = ['-c', 'core.protectNTFS=false', '-c', 'core.protectHFS=false', ...args];
  return new Promise((resolve, reject) => {
    const child = spawn('git', fullArgs, { env: fixtureEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    // A git that fails before reading its input closes the pipe; its exit status reports why.
    child.stdin.on('error', () => {});
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(stdout).toString('utf8'));
      else {reject(
          new Error(`git ${args.join(' ')} exited with ${code}: ${Buffer.concat(stderr).toString('utf8').trim()}`),
        );}
    });
    child.stdin.end(input ?? '');
  });
}
