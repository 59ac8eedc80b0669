/**
 * Real git repositories for tests: a work tree in a fresh temp dir, commits with fixed author and
 * committer dates (so hashes are reproducible), removed again by `remove()`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The first fixed commit date; each further commit is one minute later. */
const FIRST_COMMIT_SECONDS = Date.UTC(2023, 0, 2, 3, 4, 5) / 1000;

/** A scratch git repository with a work tree; `gitDir` is what the code under test is given. */
export class TestRepo {
  readonly root: string;
  readonly work: string;
  readonly gitDir: string;
  #commits = 0;

  constructor(root: string) {
    this.root = root;
    this.work = join(root, 'work');
    this.gitDir = join(this.work, '.git');
    mkdirSync(this.work);
    this.git('init', '-q', '-b', 'main');
  }

  /** A new repository in a new temp dir. */
  static create(): TestRepo {
    return new TestRepo(mkdtempSync(join(tmpdir(), 'git-goproxy-gitrepo-')));
  }

  /** Runs git in the work tree with a clean environment and the next fixed date; returns trimmed stdout. */
  git(...args: string[]): string {
    return this.gitWithInput('', ...args);
  }

  /** Like `git`, with `input` on stdin. */
  gitWithInput(input: string, ...args: string[]): string {
    const seconds = FIRST_COMMIT_SECONDS + this.#commits * 60;
    const date = `@${seconds} +0000`;
    return execFileSync('git', args, {
      cwd: this.work,
      env: testGitEnvironment(date),
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
    }).trim();
  }

  /** Writes files (path → content) into the work tree. */
  write(files: Record<string, string | Uint8Array>): void {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.work, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  }

  /** Writes `files`, stages everything and commits; returns the new commit's oid. */
  commit(message: string, files: Record<string, string | Uint8Array> = {}): string {
    this.write(files);
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    this.#commits++;
    return this.git('rev-parse', 'HEAD');
  }

  /** The Unix time (seconds) the commit made by the `n`-th call of `commit` (from 0) carries. */
  static commitSeconds(n: number): number {
    return FIRST_COMMIT_SECONDS + n * 60;
  }

  /** Deletes the whole temp dir. */
  remove(): void {
    rmSync(this.root, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  }
}

function testGitEnvironment(date: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('GIT_')) env[name] = value;
  }
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Test Author',
    GIT_AUTHOR_EMAIL: 'author@example.com',
    GIT_COMMITTER_NAME: 'Test Committer',
    GIT_COMMITTER_EMAIL: 'committer@example.com',
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
  };
}
