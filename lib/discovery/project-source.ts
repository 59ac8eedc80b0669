/**
 * Where projects' repositories are found on disk: a `ProjectSource` lists them (full path → bare
 * git dir) without blocking the event loop. This file has the interface and the plain layout, a
 * directory tree (also Gitea's and Forgejo's `<owner>/<repo>.git`): every bare repository below
 * `repos` is a project named by its path without `.git`. GitLab's hashed storage is the other
 * (gitlab-hashed.ts); detected-layout.ts picks one, scanner.ts runs the scans in the background.
 * Another source of repositories is another `ProjectSource`.
 *
 * Sources read directories with `fs/promises`, a few at a time, so that one event-loop turn handles
 * one directory's entries whatever the size of the tree.
 */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { isResourceExhaustion } from '../common/errors.ts';
import { drainQueue } from '../common/work-queue.ts';

/** What one scan found. */
export interface Discovery {
  /** Full path (`group/name`) → absolute git dir. */
  readonly repositories: ReadonlyMap<string, string>;
  /**
   * Full paths that several repositories claim (two `gitlab.fullpath`s alike, `a/b` beside
   * `a/b.git`), with every git dir that claims them: none of them is served, as no one can say which
   * is the project (projects.ts logs them, `check` fails on them).
   */
  readonly contested: ReadonlyMap<string, readonly string[]>;
  /**
   * Directories whose entries name projects (the walk's groups): a repository created or removed
   * below `repos` changes one of them, so a watch of these notices it.
   */
  readonly directories: readonly string[];
}

/** Lists the repositories of one layout. */
export interface ProjectSource {
  /** The layout, for logs: `directory tree`, `GitLab hashed storage`. */
  readonly layout: string;
  /** Reads the layout now; rejects with `signal`'s reason once it is aborted. */
  scan(signal: AbortSignal): Promise<Discovery>;
}

/** Directories read at once (each is one `readdir` in libuv's thread pool, which requests share). */
export const SCAN_CONCURRENCY = 4;

/** How many directory levels below `repos` a repository may be (group/subgroup/…/name.git). */
const MAX_DEPTH = 9;

/** A directory to read, `depth` levels below the root. */
interface Visit {
  readonly dir: string;
  readonly depth: number;
}

/**
 * Bare repositories anywhere below `root`, named by their path without `.git`. Directories whose
 * names start with `.` (the proxy's own `.git-goproxy`) are skipped, and symbolic links are not
 * followed into, so a link loop cannot make the walk endless.
 */
export class DirectoryTree implements ProjectSource {
  readonly layout = 'directory tree';
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  async scan(signal: AbortSignal): Promise<Discovery> {
    const found = new Claims();
    const directories: string[] = [];
    await drainQueue<Visit>([{ dir: this.#root, depth: 0 }], SCAN_CONCURRENCY, async ({ dir, depth }, enqueue) => {
      signal.throwIfAborted();
      const entries = await readEntries(dir);
      if (depth > 0 && isBareRepository(entries)) {
        found.claim(fullPathOf(this.#root, dir), dir);
        return;
      }
      directories.push(dir);
      if (depth === MAX_DEPTH) return;
      for (const entry of entries) {
        if (entry.isDirectory() && !entry.name.startsWith('.')) {
          enqueue({ dir: join(dir, entry.name), depth: depth + 1 });
        }
      }
    });
    return { ...found.result(), directories };
  }
}

/** Why `path` cannot be a project's full path (`group/sub/name`), or undefined when it can. */
export function projectPathError(path: string): string | undefined {
  const elements = path.split('/');
  if (path !== '' && !elements.some((element) => element === '' || element === '.' || element === '..')) {
    return undefined;
  }
  return 'must be a relative path like "group/name" without empty, "." or ".." elements';
}

/**
 * A directory's entries; none when it cannot be read (vanished, or not ours to read). Out of
 * descriptors is no answer: it is thrown, the scan fails and the index it would replace stays.
 */
export async function readEntries(dir: string): Promise<Dirent[]> {
  return readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
    if (isResourceExhaustion(error)) throw error;
    return [];
  });
}

/** The repositories a scan found, by the full path each claims; a path claimed twice is contested. */
export class Claims {
  readonly #claims = new Map<string, string[]>();

  claim(fullPath: string, gitDir: string): void {
    const claimants = this.#claims.get(fullPath);
    if (claimants === undefined) this.#claims.set(fullPath, [gitDir]);
    else claimants.push(gitDir);
  }

  /** The repositories of uncontested paths, and the contested paths with their claimants (sorted: a scan's result does not depend on timing). */
  result(): Pick<Discovery, 'repositories' | 'contested'> {
    const repositories = new Map<string, string>();
    const contested = new Map<string, readonly string[]>();
    for (const [fullPath, gitDirs] of this.#claims) {
      if (gitDirs.length === 1) repositories.set(fullPath, gitDirs[0]!);
      else contested.set(fullPath, gitDirs.sort());
    }
    return { repositories, contested };
  }
}

/** A bare repository has `objects/` and `refs/` directories and a `HEAD` (as git's own check, roughly). */
function isBareRepository(entries: readonly Dirent[]): boolean {
  const named = (name: string) => entries.find((entry) => entry.name === name);
  const objects = named('objects');
  const refs = named('refs');
  return objects !== undefined && isDirectoryEntry(objects) && refs !== undefined && isDirectoryEntry(refs) &&
    named('HEAD') !== undefined;
}

/** A directory, or a symbolic link that may point at one (git follows it). */
function isDirectoryEntry(entry: Dirent): boolean {
  return entry.isDirectory() || entry.isSymbolicLink();
}

/** `root/group/name.git` → `group/name`. */
function fullPathOf(root: string, dir: string): string {
  return relative(root, dir).split(sep).join('/').replace(/\.git$/, '');
}
