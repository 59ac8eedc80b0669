/**
 * A repository's branches, tags and HEAD, read in-process from the ref files (no git process per
 * request) and cached until the files change.
 *
 * What counts is what the go command sees through `git ls-remote` in direct mode
 * (`codehost/git.go` `loadRefs`): HEAD, `refs/heads/*` and `refs/tags/*`, annotated tags peeled to
 * the commit they finally point at. Refs whose target is not a commit (a tag of a tree or blob)
 * are left out, as no version can come from them.
 *
 * Change detection: git rewrites a ref by writing `<name>.lock` and renaming it over the old file,
 * so every change to a loose ref changes the mtime of its directory; `packed-refs` and `HEAD` are
 * replaced the same way. A cached snapshot is reused while `HEAD`, `packed-refs` and every
 * directory under `refs/heads` and `refs/tags` still have the inode, size and mtime seen just
 * before they were read. File-system clocks are coarse, so a snapshot taken within `RACY_MS` of the
 * newest of those mtimes is not trusted for reuse (the idea of git's "racy index" check).
 */
import type { BigIntStats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isAbsence, notFound } from '../common/errors.ts';
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
    // Loose refs first, then packed-refs, as git reads them: `git pack-refs` writes packed-refs
    // before it deletes the loose files, so a ref being packed meanwhile is found in one or the other.
    for (const root of WATCHED_ROOTS) await this.#readLooseRefs(root, observe, values);
    await observe(packedPath);
    for (const [name, oid] of parsePackedRefs(await readTextOrEmpty(packedPath))) {
      if (!values.has(name)) values.set(name, { oid });
    }

    const refs = await this.#resolve(headValue, values);
    return { refs, identities, settled: startedAt - newestMtime > RACY_MS };
  }

  /** Reads loose refs under `dir` (recursively) into `values`, observing each directory first. */
  async #readLooseRefs(dir: string, observe: (path: string) => Promise<boolean>, values: Map<string, RefValue>): Promise<void> {
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

  async #resolve(headValue: RefValue | undefined, values: Map<string, RefValue>): Promise<Refs> {
    const direct = new Map<string, string>();
    for (const name of values.keys()) {
      const oid = resolveName(name, values);
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

/** Follows symbolic refs (at most a few levels, as git does) to an object id. */
function resolveName(name: string, values: Map<string, RefValue>): string | undefined {
  let value = values.get(name);
  for (let depth = 0; value && depth <= MAX_SYMREF_DEPTH; depth++) {
    if ('oid' in value) return value.oid;
    value = values.get(value.symref);
  }
  return undefined;
}

/** The content of a loose ref file or HEAD: `<oid>\n` or `ref: <name>\n`; undefined if neither. */
function parseRefValue(text: string): RefValue | undefined {
  const line = text.split('\n', 1)[0]?.trim() ?? '';
  if (line.startsWith(SYMREF_PREFIX)) return { symref: line.slice(SYMREF_PREFIX.length).trim() };
  return isFullObjectId(line) ? { oid: line } : undefined;
}

/**
 * `packed-refs`: a `# pack-refs with: …` header, then `<oid> <name>` lines, each possibly followed
 * by a `^<oid>` line giving the peeled target of an annotated tag. The `^` lines are skipped:
 * peeling goes through the object reader for every ref alike, because the type of the peeled
 * object (commit or not) is needed too and is cached per oid anyway.
 */
export function parsePackedRefs(text: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('^')) continue;
    const space = line.indexOf(' ');
    const oid = line.slice(0, space);
    if (space > 0 && isFullObjectId(oid)) refs.set(line.slice(space + 1).trim(), oid);
  }
  return refs;
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
