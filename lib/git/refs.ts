/**
 * A repository's branches, tags and HEAD, read in-process from the ref files (no git process per
 * request) and cached until the files change.
 *
 * What counts is what the go command sees through `git ls-remote` in direct mode
 * (`codehost/git.go` `loadRefs`): HEAD, `refs/heads/*` and `refs/tags/*`, annotated tags peeled to
 * the commit they finally point at. Refs whose target is not a commit (a tag of a tree or blob)
 * are left out, as no version can come from them. Nothing else is read: a mirror's tens of
 * thousands of `refs/pull/*` or `refs/merge-requests/*` cost only the bytes of their lines.
 *
 * Peeling: `packed-refs` carries the peeled target of each annotated tag on a `^<oid>` line, and its
 * `peeled`/`fully-peeled` header says that a ref without one is no annotated tag; those targets are
 * taken as written, so only the distinct objects they name are looked up (once each, for their
 * type), not every tag. Loose refs are peeled through `cat-file`, as before.
 *
 * Change detection: git rewrites a ref by writing `<name>.lock` and renaming it over the old file,
 * so every change to a loose ref changes the mtime of its directory; `packed-refs` and `HEAD` are
 * replaced the same way. A cached snapshot is reused while `HEAD`, `packed-refs` and every
 * directory under `refs/heads` and `refs/tags` still have the inode, size and mtime seen just
 * before they were read. File-system clocks are coarse, so a snapshot taken within `RACY_MS` of the
 * newest of those mtimes is not trusted for reuse (the idea of git's "racy index" check). A re-read
 * that finds the same refs returns the same `Refs` object, so what callers derive from a snapshot
 * (keyed by it) lasts until the refs actually change.
 */
import type { BigIntStats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isAbsence, notFound, type ProxyError } from '../common/errors.ts';
import { logger } from '../common/log.ts';
import type { ObjectReader } from './objects.ts';
import { isFullObjectId } from './object-id.ts';

/** A snapshot of the refs the go command would see. */
export interface Refs {
  /** The full ref name HEAD points to (`refs/heads/main`); undefined when HEAD is detached. */
  head?: string;
  /** The commit HEAD resolves to; undefined on an unborn branch. */
  headCommit?: string;
  /** Tag name without `refs/tags/` → peeled commit oid. */
  tags: ReadonlyMap<string, string>;
  /** Branch name without `refs/heads/` → commit oid. */
  branches: ReadonlyMap<string, string>;
}

/** Files whose mtime may be this close to the snapshot time are not trusted to reveal a change. */
const RACY_MS = 2000;
const SYMREF_PREFIX = 'ref: ';
const MAX_SYMREF_DEPTH = 5;
const WATCHED_ROOTS = ['refs/heads', 'refs/tags'];
const SERVED_PREFIXES = ['refs/heads/', 'refs/tags/'];

/** What a ref file holds: an object id or the name of another ref. */
type RefValue = { oid: string } | { symref: string };

interface Snapshot {
  refs: Refs;
  /** Path → identity (`ino:size:mtimeNs`, or `-` when absent) observed before reading. */
  identities: Map<string, string>;
  /** Whether the snapshot may be reused while the identities hold. */
  settled: boolean;
}

/** The refs of one repository, cached until its ref files change. */
export class RefStore {
  readonly gitDir: string;
  readonly #objects: ObjectReader;
  /** Object id → peeled commit oid, or null when it does not peel to a commit. Objects never change. */
  #peeled = new Map<string, string | null>();
  #snapshot: Snapshot | undefined;
  #reading: Promise<Snapshot> | undefined;
  /** Whether the repository's being broken has been logged since it was last read whole. */
  #brokenReported = false;

  constructor(gitDir: string, objects: ObjectReader) {
    this.gitDir = gitDir;
    this.#objects = objects;
  }

  /** The current refs; cheap (a few `stat` calls) while nothing has changed. */
  async read(): Promise<Refs> {
    if (this.#reading) return (await this.#reading).refs;
    if (this.#snapshot?.settled && (await this.#unchanged(this.#snapshot))) return this.#snapshot.refs;
    this.#reading ??= this.#readSnapshot().finally(() => {
      this.#reading = undefined;
    });
    const snapshot = await this.#reading;
    const previous = this.#snapshot?.refs;
    if (previous !== undefined && sameRefs(previous, snapshot.refs)) snapshot.refs = previous;
    this.#snapshot = snapshot;
    return snapshot.refs;
  }

  async #unchanged(snapshot: Snapshot): Promise<boolean> {
    for (const [path, identity] of snapshot.identities) {
      if (identityOf(await statOrUndefined(path)) !== identity) return false;
    }
    return true;
  }

  async #readSnapshot(): Promise<Snapshot> {
    const startedAt = Date.now();
    const identities = new Map<string, string>();
    let newestMtime = 0;
    const observe = async (path: string): Promise<boolean> => {
      const stats = await statOrUndefined(path);
      identities.set(path, identityOf(stats));
      if (stats) newestMtime = Math.max(newestMtime, Number(stats.mtimeNs / 1_000_000n));
      return stats !== undefined;
    };

    const values = new Map<string, RefValue>();
    const headPath = join(this.gitDir, 'HEAD');
    const packedPath = join(this.gitDir, 'packed-refs');
    // Without HEAD the directory is no repository (any more): removed while it was being served.
    if (!(await observe(headPath))) throw notFound('the repository of this module no longer exists');
    const headValue = parseRefValue(await readTextOrEmpty(headPath));
    if (headValue === undefined || ('symref' in headValue && !headValue.symref.startsWith('refs/'))) {
      throw this.#broken('its HEAD names neither a branch nor a commit');
    }
    this.#brokenReported = false;
    // Loose refs first, then packed-refs, as git reads them: `git pack-refs` writes packed-refs
    // before it deletes the loose files, so a ref being packed meanwhile is found in one or the other.
    for (const root of WATCHED_ROOTS) await this.#readLooseRefs(root, observe, values);
    await observe(packedPath);
    const headTarget = headValue && 'symref' in headValue ? headValue.symref : undefined;
    const packed = parsePackedRefs(await readTextOrEmpty(packedPath), headTarget);

    const refs = await this.#resolve(headValue, values, packed);
    return { refs, identities, settled: startedAt - newestMtime > RACY_MS };
  }

  /**
   * The answer for a repository git itself would not open (every git command fails in it): the
   * 404 of a module that cannot be read, for this repository alone, logged once until it is mended.
   */
  #broken(why: string): ProxyError {
    if (!this.#brokenReported) {
      logger.warn('repository cannot be read: it is not served until mended', { gitDir: this.gitDir, why });
    }
    this.#brokenReported = true;
    return notFound(`the repository of this module cannot be read: ${why}`);
  }

  /** Reads loose refs under `dir` (recursively) into `values`, observing each directory first. */
  async #readLooseRefs(
    dir: string,
    observe: (path: string) => Promise<boolean>,
    values: Map<string, RefValue>,
  ): Promise<void> {
    const path = join(this.gitDir, dir);
    if (!(await observe(path))) return;
    const entries = await readdir(path, { withFileTypes: true }).catch(ifAbsent([]));
    for (const entry of entries) {
      const name = `${dir}/${entry.name}`;
      if (entry.isDirectory()) await this.#readLooseRefs(name, observe, values);
      else if (entry.isFile() && !entry.name.endsWith('.lock')) {
        const value = parseRefValue(await readTextOrEmpty(join(this.gitDir, name)));
        if (value) values.set(name, value);
      }
    }
  }

  /**
   * The refs from the loose `values` and the `packed` ones (a loose ref wins), each ref's object
   * peeled to a commit. A peeled target named by packed-refs stands for its ref: peeling it again
   * gives itself.
   */
  async #resolve(
    headValue: RefValue | undefined,
    values: Map<string, RefValue>,
    packed: Map<string, PackedRef>,
  ): Promise<Refs> {
    const direct = new Map<string, string>();
    for (const [name, ref] of packed) if (!values.has(name)) direct.set(name, ref.peeled ?? ref.oid);
    for (const name of values.keys()) {
      const oid = resolveName(name, values, direct);
      if (oid) direct.set(name, oid);
    }
    await this.#peelAll(new Set([...direct.values(), ...(headValue && 'oid' in headValue ? [headValue.oid] : [])]));

    const tags = new Map<string, string>();
    const branches = new Map<string, string>();
    for (const [name, oid] of direct) {
      const commit = this.#peeled.get(oid);
      if (!commit) continue;
      if (name.startsWith('refs/tags/')) tags.set(name.slice('refs/tags/'.length), commit);
      else if (name.startsWith('refs/heads/')) branches.set(name.slice('refs/heads/'.length), commit);
    }

    const refs: Refs = { tags, branches };
    if (headValue && 'symref' in headValue) {
      refs.head = headValue.symref;
      const oid = direct.get(headValue.symref);
      const commit = oid ? this.#peeled.get(oid) : undefined;
      if (commit) refs.headCommit = commit;
    } else if (headValue) {
      const commit = this.#peeled.get(headValue.oid);
      if (commit) refs.headCommit = commit;
    }
    return refs;
  }

  /** Peels every oid not yet known (requests are pipelined); forgets oids no longer referenced. */
  async #peelAll(oids: Set<string>): Promise<void> {
    const unknown = [...oids].filter((oid) => !this.#peeled.has(oid));
    const peeled = await Promise.all(unknown.map((oid) => this.#objects.peel(oid)));
    unknown.forEach((oid, i) => {
      const target = peeled[i];
      this.#peeled.set(oid, target?.type === 'commit' ? target.oid : null);
    });
    for (const oid of this.#peeled.keys()) if (!oids.has(oid)) this.#peeled.delete(oid);
  }
}

/** Follows symbolic loose refs (at most a few levels, as git does) to an object id, a packed ref's (`packed`) included. */
function resolveName(name: string, values: Map<string, RefValue>, packed: Map<string, string>): string | undefined {
  let value = values.get(name);
  for (let depth = 0; value && depth <= MAX_SYMREF_DEPTH; depth++) {
    if ('oid' in value) return value.oid;
    value = values.get(value.symref) ?? (packed.has(value.symref) ? { oid: packed.get(value.symref)! } : undefined);
  }
  return undefined;
}

/** The content of a loose ref file or HEAD: `<oid>\n` or `ref: <name>\n`; undefined if neither. */
function parseRefValue(text: string): RefValue | undefined {
  const line = text.split('\n', 1)[0]?.trim() ?? '';
  if (line.startsWith(SYMREF_PREFIX)) return { symref: line.slice(SYMREF_PREFIX.length).trim() };
  return isFullObjectId(line) ? { oid: line } : undefined;
}

/** A ref of `packed-refs`: its object, and the object it peels to when packed-refs says so. */
export interface PackedRef {
  readonly oid: string;
  /** The `^` line's target; `oid` itself when the header vouches that the ref is no annotated tag; else undefined. */
  readonly peeled: string | undefined;
}

/**
 * The branches and tags of `packed-refs`: a `# pack-refs with: …` header, then `<oid> <name>`
 * lines, each possibly followed by a `^<oid>` line giving the peeled target of an annotated tag.
 * With the `fully-peeled` trait every ref without a `^` line is no annotated tag; with `peeled`,
 * every tag (git's `packed-refs.c`). Other refs (pull and merge requests) are skipped unparsed,
 * except `headTarget`, the ref HEAD names.
 */
export function parsePackedRefs(text: string, headTarget?: string): Map<string, PackedRef> {
  const refs = new Map<string, PackedRef>();
  const header = text.startsWith('# pack-refs with:') ? text.split('\n', 1)[0].split(' ') : [];
  const fullyPeeled = header.includes('fully-peeled');
  const tagsPeeled = fullyPeeled || header.includes('peeled');
  const wanted = (at: number) =>
    SERVED_PREFIXES.some((prefix) => text.startsWith(prefix, at)) ||
    (headTarget !== undefined && text.startsWith(headTarget, at));
  // Lines are cut out only when they are kept: a mirror's packed-refs is mostly pull requests. A
  // `^` line belongs to the ref line before it (one that is skipped takes its `^` line along).
  let at = 0;
  const lineEnd = (from: number) => {
    const newline = text.indexOf('\n', from);
    return newline < 0 ? text.length : newline;
  };
  while (at < text.length) {
    const end = lineEnd(at);
    const peeledLine = text.startsWith('^', end + 1) ? end + 1 : -1;
    const next = peeledLine < 0 ? end + 1 : lineEnd(peeledLine) + 1;
    const space = text.indexOf(' ', at);
    if (text[at] !== '^' && space > at && space < end && wanted(space + 1)) {
      const oid = text.slice(at, space);
      const name = text.slice(space + 1, end).trim();
      if (isFullObjectId(oid) && (name.startsWith('refs/') || name === headTarget)) {
        const caret = peeledLine < 0 ? undefined : text.slice(peeledLine + 1, next - 1).trim();
        const vouched = fullyPeeled || (tagsPeeled && name.startsWith('refs/tags/'));
        const peeled = caret !== undefined && isFullObjectId(caret) ? caret : vouched ? oid : undefined;
        refs.set(name, { oid, peeled });
      }
    }
    at = next;
  }
  return refs;
}

/** Whether two snapshots name the same HEAD and the same commits under the same names. */
function sameRefs(a: Refs, b: Refs): boolean {
  return a.head === b.head && a.headCommit === b.headCommit && sameEntries(a.tags, b.tags) &&
    sameEntries(a.branches, b.branches);
}

function sameEntries(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, oid] of a) if (b.get(name) !== oid) return false;
  return true;
}

async function statOrUndefined(path: string): Promise<BigIntStats | undefined> {
  return stat(path, { bigint: true }).catch(ifAbsent(undefined));
}

/**
 * A rejection handler: `value` for a file that is not there, any other failure rethrown. A
 * process out of descriptors (EMFILE) must not read as "no refs" or "no repository": that would
 * answer 404 for a module that exists.
 */
function ifAbsent<T>(value: T): (error: unknown) => T {
  return (error) => {
    if (isAbsence(error)) return value;
    throw error;
  };
}

function identityOf(stats: BigIntStats | undefined): string {
  return stats ? `${stats.ino}:${stats.size}:${stats.mtimeNs}` : '-';
}

async function readTextOrEmpty(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(ifAbsent(''));
}
