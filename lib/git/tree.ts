/**
 * Listing a commit's files with sizes, without reading any blob: `git ls-tree -r -l -z`. This is
 * what lets the zip rules (names, collisions, nested modules, size limits) be decided before a
 * response starts.
 */
import { gitExit, spawnGit, type GitRunOptions } from './run.ts';

/** One file of a tree listing. */
export interface TreeEntry {
  /** Slash-separated path relative to the listed directory. */
  path: string;
  /** Octal git mode: `100644`, `100755`, `120000` (symlink), `160000` (gitlink/submodule). */
  mode: string;
  /** `blob` for files and symlinks, `commit` for gitlinks. */
  type: string;
  oid: string;
  /** Blob size in bytes; 0 for gitlinks, which have none. */
  size: number;
}

/**
 * Every file below `dir` (the whole tree when undefined) in `commit` (a full oid), recursively,
 * with paths relative to `dir`. File names that are not valid UTF-8 come back with U+FFFD in them,
 * which no Go file-name rule accepts, so such a zip is refused just as the go command refuses it.
 * Rejects with `GitError` when the commit does not exist.
 */
export async function listTree(gitDir: string, commit: string, dir?: string, options: GitRunOptions = {}): Promise<TreeEntry[]> {
  const args = ['ls-tree', '-r', '-l', '-z', '--full-tree', '--end-of-options', commit];
  if (dir !== undefined) args.push('--', dir);
  const child = await spawnGit(gitDir, args, options);
  const prefix = dir === undefined ? '' : `${dir}/`;
  const entries: TreeEntry[] = [];
  const parser = new NulRecords((record) => {
    const entry = parseLsTreeRecord(record);
    if (entry.path.startsWith(prefix)) entries.push({ ...entry, path: entry.path.slice(prefix.length) });
  });
  let malformed: unknown;
  child.stdout?.on('data', (chunk: Buffer) => {
    if (malformed) return;
    try {
      parser.push(chunk);
    } catch (error) {
      malformed = error;
      child.kill('SIGKILL');
    }
  });
  const failure = await gitExit(child).then(() => undefined, (error: unknown) => ({ error }));
  if (malformed) throw malformed;
  if (failure) throw failure.error;
  parser.end();
  return entries;
}

/** `<mode> SP <type> SP <oid> SP <padded size or -> TAB <path>`. */
export function parseLsTreeRecord(record: string): TreeEntry {
  const tab = record.indexOf('\t');
  const [mode, type, oid, size] = record.slice(0, tab).split(/ +/);
  if (tab < 0 || !mode || !type || !oid || size === undefined) throw new Error(`unexpected ls-tree output: ${JSON.stringify(record)}`);
  return { path: record.slice(tab + 1), mode, type, oid, size: size === '-' ? 0 : Number(size) };
}

/** Splits a byte stream into NUL-terminated UTF-8 records, keeping partial records across chunks. */
class NulRecords {
  readonly #onRecord: (record: string) => void;
  readonly #decoder = new TextDecoder('utf-8');
  #rest: Buffer = Buffer.alloc(0);

  constructor(onRecord: (record: string) => void) {
    this.#onRecord = onRecord;
  }

  push(chunk: Buffer): void {
    let data = this.#rest.length ? Buffer.concat([this.#rest, chunk]) : chunk;
    for (let nul = data.indexOf(0); nul >= 0; nul = data.indexOf(0)) {
      this.#onRecord(this.#decoder.decode(data.subarray(0, nul)));
      data = data.subarray(nul + 1);
    }
    this.#rest = data;
  }

  end(): void {
    if (this.#rest.length) throw new Error('ls-tree output ended inside a record');
  }
}
