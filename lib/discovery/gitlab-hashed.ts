/**
 * GitLab's hashed storage as a project source: each project's repository is
 * `@hashed/<ab>/<cd>/<sha256 of the project id>.git`, and GitLab records the project's full path in
 * that repository's git config (`[gitlab] fullpath = group/sub/project`), which is the only place
 * the path is on disk. Each repository's `config` file is read directly (no git process per
 * repository).
 *
 * Repositories that are not a project's code are not projects: wikis (`<hash>.wiki.git`), design
 * management (`<hash>.design.git`), object pools (`@pools/…`), snippets (`@snippets/…`) and deleted
 * repositories waiting for removal (`<hash>+<id>+deleted.git`); neither is a repository without a
 * `gitlab.fullpath` (not yet set up by GitLab).
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Discovery, ProjectSource } from './project-source.ts';
import { Claims, projectPathError, readEntries, SCAN_CONCURRENCY } from './project-source.ts';
import { drainQueue } from '../common/work-queue.ts';
import { isAbsence } from '../common/errors.ts';

/** The directory below `repos` that holds GitLab's hashed repositories. */
export const HASHED_DIR = '@hashed';

/** A project's code repository: 64 hex digits and `.git` (wikis, designs, deleted ones have more in the name). */
const PROJECT_REPOSITORY = /^[0-9a-f]{64}\.git$/;

/** The two levels of fan-out directories (`ab/cd`). */
const FAN_OUT = /^[0-9a-f]{2}$/;

/** Most bytes of a repository's `config` read: GitLab's are a few hundred. */
const MAX_CONFIG_BYTES = 64 * 1024;

/** A directory to read: `@hashed` (level 0) or a fan-out directory below it (`ab` 1, `ab/cd` 2). */
type Visit = { readonly dir: string; readonly level: number };

export class GitLabHashedStorage implements ProjectSource {
  readonly layout = 'GitLab hashed storage';
  readonly #root: string;

  /** `root` is `--repos`, the directory that holds `@hashed`. */
  constructor(root: string) {
    this.#root = root;
  }

  async scan(signal: AbortSignal): Promise<Discovery> {
    const found = new Claims();
    const start: Visit = { dir: join(this.#root, HASHED_DIR), level: 0 };
    await drainQueue<Visit>([start], SCAN_CONCURRENCY, async ({ dir, level }, enqueue) => {
      signal.throwIfAborted();
      for (const entry of await readEntries(dir)) {
        if (!entry.isDirectory()) continue;
        const path = join(dir, entry.name);
        if (level < 2 && FAN_OUT.test(entry.name)) enqueue({ dir: path, level: level + 1 });
        else if (level === 2 && PROJECT_REPOSITORY.test(entry.name)) {
          const fullPath = await projectFullPath(path);
          if (fullPath !== undefined) found.claim(fullPath, path);
        }
      }
    });
    // No watch: GitLab sets `gitlab.fullpath` after creating a repository and changes it on a rename,
    // neither of which a directory watch sees. The periodic rescan and SIGHUP find them.
    return { ...found.result(), directories: [] };
  }
}

/**
 * The valid `gitlab.fullpath` of a repository, or undefined. A repository without a readable
 * `config` is no project (yet); any other failure to read it (out of descriptors, an I/O error)
 * fails the scan, so that the projects found before stay served rather than vanish.
 */
async function projectFullPath(gitDir: string): Promise<string | undefined> {
  const text = await readHead(join(gitDir, 'config'), MAX_CONFIG_BYTES).catch((error: unknown) => {
    if (isAbsence(error) || isDenied(error)) return undefined;
    throw error;
  });
  const fullPath = text === undefined ? undefined : gitConfigValue(text, 'gitlab', 'fullpath');
  return fullPath !== undefined && projectPathError(fullPath) === undefined ? fullPath : undefined;
}

/** Whether `error` says the file is not ours to read (EACCES, EPERM). */
function isDenied(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

/** The first `limit` bytes of a file as UTF-8. */
async function readHead(file: string, limit: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(limit);
    const { bytesRead } = await handle.read(buffer, 0, limit, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * The last value of `section.key` in git config text (section and key compare case-insensitively,
 * as git does; a section with a subsection is another section). Reads `key = value` lines with git's
 * quoting (`"…"`, `\"`, `\\`, `\n`, `\t`) and `#`/`;` comments; a key with no `=` (boolean true) has
 * no string value and is ignored.
 */
export function gitConfigValue(text: string, section: string, key: string): string | undefined {
  let inSection = false;
  let value: string | undefined;
  for (const line of text.split('\n')) {
    const header = /^\s*\[([^\]]*)\]/.exec(line);
    if (header !== null) {
      inSection = header[1]!.trim().toLowerCase() === section;
      continue;
    }
    if (!inSection) continue;
    const entry = /^\s*([A-Za-z][A-Za-z0-9-]*)\s*=(.*)$/.exec(line);
    if (entry !== null && entry[1]!.toLowerCase() === key) value = configValue(entry[2]!);
  }
  return value;
}

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', n: '\n', t: '\t', b: '\b' };

/** A config value as git reads it: unquoted spaces trimmed, quotes removed, escapes applied, comment dropped. */
function configValue(raw: string): string | undefined {
  let value = '';
  let quoted = false;
  let pendingSpace = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\') {
      const escaped = ESCAPES[raw[i + 1] ?? ''];
      if (escaped === undefined) return undefined; // a bad escape or a line continuation: not a value we read
      value += pendingSpace + escaped;
      pendingSpace = '';
      i++;
    } else if (c === '"') {
      value += pendingSpace;
      pendingSpace = '';
      quoted = !quoted;
    } else if (!quoted && (c === '#' || c === ';')) {
      break;
    } else if (!quoted && /\s/.test(c)) {
      if (value !== '') pendingSpace += c;
    } else {
      value += pendingSpace + c;
      pendingSpace = '';
    }
  }
  return quoted ? undefined : value;
}
