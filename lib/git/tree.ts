/**
 * Listing a commit's files, without reading any blob: `git ls-tree -r -z`, and with `-l` their
 * sizes (which makes git read every blob's header, several times slower on a large tree). This is
 * what lets the zip rules (names, collisions, nested modules, size limits) be decided from the tree.
 */
import { gitExit, type GitRunOptions, spawnGit } from './run.ts';

/** How to list a tree. */
export interface TreeListingOptions extends GitRunOptions {
  /** Whether to list sizes (`-l`); default true. Without, every `size` is 0. */
  readonly sizes?: boolean;
}

/** One file of a tree listing. */
export interface TreeEntry {
  /** Slash-separated path relative to the listed directory. */
  path: string;
  /** Octal git mode: `100644`, `100755`, `120000` (symlink), `160000` (gitlink/submodule). */
  mode: string;
  /** `blob` for files and symlinks, `commit` for gitlinks. */
  type: string;
  oid: string;
  /** Blob size in bytes; 0 for gitlinks, which have none, and in a listing without sizes. */
  size: number;
}

/**
 * Every file below `dir` (the whole tree when undefined) in `commit` (a full oid), recursively,
 * with paths relative to `dir`, one entry at a time in tree order, holding none of them. File
 * names that are not valid UTF-8 come back with U+FFFD in them, which no Go file-name rule
 * accepts, so such a zip is refused just as the go command refuses it. Rejects with `GitError`
 * when the commit does not exist.
 */
export async function forEachTreeEntry(
  gitDir: string,
  commit: string,
  dir: string | undefined,
  options: TreeListingOptions,
  onEntry: (entry: TreeEntry) => void,
): Promise<void> {
  const withSizes = options.sizes ?? true;
  const args = ['ls-tree', '-r', ...(withSizes ? ['-l'] : []), '-z', '--full-tree', '--end-of-options', commit];
  if (dir !== undefined) args.push('--', dir);
  const child = await spawnGit(gitDir, args, options);
  const prefix = dir === undefined ? '' : `${dir}/`;
  const parser = new NulRecords((record) => {
    const entry = parseLsTreeRecord(record, withSizes);
    if (!entry.path.startsWith(prefix)) return;
    entry.path = entry.path.slice(prefix.length);
    onEntry(entry);
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
}

/** `<mode> SP <type> SP <oid> SP <padded size or -> TAB <path>`, or without sizes `<mode> SP <type> SP <oid> TAB <path>`. */
export function parseLsTreeRecord(record: string, withSize = true): TreeEntry {
  const tab = record.indexOf('\t');
  const typeAt = record.indexOf(' ') + 1;
  const oidAt = record.indexOf(' ', typeAt) + 1;
  const oidEnd = withSize ? record.indexOf(' ', oidAt) : tab;
  const size = withSize ? record.slice(oidEnd + 1, tab).trimStart() : '-';
  if (tab < 0 || !(typeAt > 1 && oidAt > typeAt + 1 && oidEnd > oidAt && oidEnd <= tab) || size === '') {
    throw new Error(`unexpected ls-tree output: ${JSON.stringify(record)}`);
  }
  return {
    path: record.slice(tab + 1),
    mode: shared(record.slice(0, typeAt - 1)),
    type: shared(record.slice(typeAt, oidAt - 1)),
    oid: record.slice(oidAt, oidEnd),
    size: size === '-' ? 0 : Number(size),
  };
}

/**
 * The one copy of a usual mode or type, else `text`: a listing of 100,000 files would otherwise
 * hold 200,000 small strings of a handful of values (about 5 MB).
 */
function shared(text: string): string {
  return COMMON_FIELDS.get(text) ?? text;
}

const COMMON_FIELDS = new Map(
  ['100644', '100755', '120000', '160000', '040000', 'blob', 'commit', 'tree'].map((text) => [text, text]),
);

/** Splits a byte stream into NUL-terminated UTF-8 records, keeping partial records across chunks. */
export class NulRecords {
  readonly #onRecord: (record: string) => void;
  readonly #decoder = new TextDecoder('utf-8');
  #rest: Buffer = Buffer.alloc(0);

  constructor(onRecord: (record: string) => void) {
    this.#onRecord = onRecord;
  }

  /** Decodes the chunk's complete records at once (one native call per chunk, not per record). */
  push(chunk: Buffer): void {
    const data = this.#rest.length ? Buffer.concat([this.#rest, chunk]) : chunk;
    const end = data.lastIndexOf(0);
    if (end < 0) {
      this.#rest = data;
      return;
    }
    const records = this.#decoder.decode(data.subarray(0, end)).split('\0');
    for (const record of records) this.#onRecord(record);
    this.#rest = data.subarray(end + 1);
  }

  end(): void {
    if (this.#rest.length) throw new Error('ls-tree output ended inside a record');
  }
}
