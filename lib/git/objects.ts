/**
 * Object lookups through one long-lived `git cat-file --batch-command` per repository (git ≥ 2.36):
 * requests are written as they come and answered in order, so lookups never pay for a process
 * start. `info` is asked before `contents`, so an object above the size cap is refused without
 * git ever sending (or us buffering) its bytes. The process is started on first use, restarted
 * after it dies, stopped after a quiet spell and on `close()`, and counted in a `HelperPool` that
 * bounds these processes across repositories (the least recently used idle one makes room).
 *
 * Only full or abbreviated hex object names and validated paths are ever sent: a name on this
 * pipe is a whole line, so anything with a newline would smuggle in a second command.
 */
import type { ChildProcess } from 'node:child_process';
import { terminate, waitForExit } from './children.ts';
import { HelperPool, type PooledHelper } from './helper-pool.ts';
import { GitError, startGit } from './run.ts';
import { isFullObjectId, OBJECT_ID_PATTERN } from './object-id.ts';

/** The four git object types. */
export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

/** What git knows about an object without reading it. */
export interface ObjectInfo {
  oid: string;
  type: ObjectType;
  size: number;
}

/** An object with its (uncompressed) content. */
export interface GitObject extends ObjectInfo {
  data: Buffer;
}

/** The parts of a commit the version logic needs. */
export interface Commit {
  oid: string;
  tree: string;
  parents: string[];
  committerTime: Date;
  authorTime: Date;
}

/** Outcome of resolving an abbreviated commit hash. */
export type PrefixResolution = { oid: string } | { ambiguous: true };

/** Thrown instead of reading an object whose size exceeds the cap. */
export class ObjectTooLargeError extends Error {
  readonly oid: string;
  readonly size: number;
  readonly limit: number;

  constructor(oid: string, size: number, limit: number) {
    super(`git object ${oid} is ${size} bytes, more than the ${limit} allowed`);
    this.name = 'ObjectTooLargeError';
    this.oid = oid;
    this.size = size;
    this.limit = limit;
  }
}

/** Thrown by requests made after `close()`. */
export class ObjectReaderClosedError extends Error {
  constructor() {
    super('object reader is closed');
    this.name = 'ObjectReaderClosedError';
  }
}

/** Settings of an `ObjectReader`. */
export interface ObjectReaderOptions {
  /** Largest object content that may be read, in bytes; default 16 MiB (the go command's go.mod and LICENSE cap). */
  maxObjectBytes?: number;
  /** Stop the cat-file process after this many idle milliseconds; default 30 s. */
  idleMs?: number;
  /** The bound shared with other readers; default: a pool of one, this reader's own. */
  pool?: HelperPool;
}

const HEX_PREFIX = /^[0-9a-fA-F]{4,64}$/;
const FOUND_LINE = new RegExp(`^(${OBJECT_ID_PATTERN}) (commit|tree|blob|tag) (\\d+)$`);

type Answer = ObjectInfo | 'missing' | 'ambiguous';

interface Pending {
  withContent: boolean;
  resolve: (answer: Answer, data?: Buffer) => void;
  reject: (error: Error) => void;
}

/** One repository's object lookups. */
export class ObjectReader {
  readonly gitDir: string;
  readonly maxObjectBytes: number;
  readonly #idleMs: number;
  readonly #pool: HelperPool;
  #batch: BatchProcess | undefined;
  #starting: Promise<BatchProcess> | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(gitDir: string, options: ObjectReaderOptions = {}) {
    this.gitDir = gitDir;
    this.maxObjectBytes = options.maxObjectBytes ?? 16 << 20;
    this.#idleMs = options.idleMs ?? 30_000;
    this.#pool = options.pool ?? new HelperPool(1);
  }

  /** The live cat-file process, if one is running (for tests and shutdown accounting). */
  get process(): ChildProcess | undefined {
    return this.#batch?.child;
  }

  /** Type and size of the object a hex name (full or abbreviated) denotes; undefined if missing or ambiguous. */
  async readObjectInfo(name: string): Promise<ObjectInfo | undefined> {
    const answer = await this.#ask(hexName(name), false);
    return typeof answer === 'string' ? undefined : answer;
  }

  /**
   * Type and size of what is at `path` in commit `commit` (a full hash), without reading it;
   * undefined if there is nothing there. Lets a caller tell an oversized file from a missing one.
   */
  async readObjectInfoAt(commit: string, path: string): Promise<ObjectInfo | undefined> {
    const answer = await this.#ask(`${fullOid(commit)}:${treePath(path)}`, false);
    return typeof answer === 'string' ? undefined : answer;
  }

  /**
   * The object a hex name denotes, with its content; undefined if missing. Rejects with
   * `ObjectTooLargeError` when it is bigger than `maxBytes` (default: the reader's cap).
   */
  async readObject(name: string, maxBytes = this.maxObjectBytes): Promise<GitObject | undefined> {
    return this.#readCapped(hexName(name), maxBytes);
  }

  /** The commit `oid` (a full hash); undefined if there is no such object or it is not a commit. */
  async readCommit(oid: string): Promise<Commit | undefined> {
    const object = await this.#readCapped(fullOid(oid), this.maxObjectBytes);
    return object?.type === 'commit' ? parseCommit(object.oid, object.data) : undefined;
  }

  /**
   * The raw content of the blob at `path` in commit `commit` (no eol or filter conversion, as
   * `git cat-file blob` gives it); undefined if there is no such path or it is not a blob.
   */
  async readBlobAt(commit: string, path: string, maxBytes = this.maxObjectBytes): Promise<Uint8Array | undefined> {
    const object = await this.#readCapped(`${fullOid(commit)}:${treePath(path)}`, maxBytes);
    return object?.type === 'blob' ? object.data : undefined;
  }

  /**
   * Peels `oid` through any chain of annotated tags (`<oid>^{}`): the info of the object it finally
   * points at, or undefined if `oid` is missing.
   */
  async peel(oid: string): Promise<ObjectInfo | undefined> {
    const answer = await this.#ask(`${fullOid(oid)}^{}`, false);
    return typeof answer === 'string' ? undefined : answer;
  }

  /**
   * Resolves an abbreviated hash to a commit the way `git log <hex>` does (`<hex>^{commit}`: a
   * single commit wins over other objects sharing the prefix, tags are peeled). When that finds
   * nothing but the prefix names several objects, the answer is `{ ambiguous: true }` (cat-file
   * answers "missing" for an ambiguous `^{commit}`); undefined when nothing matches.
   */
  async resolveRevisionPrefix(hex: string): Promise<PrefixResolution | undefined> {
    const prefix = hexName(hex);
    const commit = await this.#ask(`${prefix}^{commit}`, false);
    if (typeof commit !== 'string') return { oid: commit.oid };
    const anyObject = await this.#ask(prefix, false);
    return anyObject === 'ambiguous' ? { ambiguous: true } : undefined;
  }

  /** Stops the cat-file process; later requests reject with `ObjectReaderClosedError`. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    await this.#starting?.catch(() => undefined);
    await this.#stopBatch();
  }

  async #readCapped(name: string, maxBytes: number): Promise<GitObject | undefined> {
    const info = await this.#ask(name, false);
    if (typeof info === 'string') return undefined;
    if (info.size > maxBytes) throw new ObjectTooLargeError(info.oid, info.size, maxBytes);
    const [answer, data] = await this.#askContents(info.oid);
    if (typeof answer === 'string' || !data) return undefined;
    return { ...answer, data };
  }

  #ask(name: string, withContent: boolean): Promise<Answer> {
    return this.#request(name, withContent).then(([answer]) => answer);
  }

  #askContents(oid: string): Promise<[Answer, Buffer | undefined]> {
    return this.#request(oid, true);
  }

  async #request(name: string, withContent: boolean): Promise<[Answer, Buffer | undefined]> {
    clearTimeout(this.#idleTimer);
    try {
      for (;;) {
        if (this.#closed) throw new ObjectReaderClosedError();
        const batch = this.#batch?.usable ? this.#batch : await this.#startedBatch();
        // Checked and sent in one step: a helper evicted meanwhile is never written to.
        if (batch.usable) return await this.#send(batch, name, withContent);
      }
    } finally {
      this.#settled();
    }
  }

  #send(batch: BatchProcess, name: string, withContent: boolean): Promise<[Answer, Buffer | undefined]> {
    this.#pool.used(batch);
    return new Promise((resolve, reject) => {
      batch.send(name, { withContent, resolve: (answer, data) => resolve([answer, data]), reject });
    });
  }

  /** The helper being started, or a new one once the pool has room. */
  #startedBatch(): Promise<BatchProcess> {
    this.#starting ??= this.#startBatch().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #startBatch(): Promise<BatchProcess> {
    await this.#pool.reserve();
    let batch: BatchProcess;
    try {
      if (this.#closed) throw new ObjectReaderClosedError();
      batch = new BatchProcess(this.gitDir, () => void this.#stopBatch(batch));
    } catch (error) {
      this.#pool.unreserve();
      throw error;
    }
    this.#pool.add(batch);
    const exited = () => {
      if (this.#batch === batch) this.#batch = undefined;
      this.#pool.release(batch);
    };
    batch.child.once('exit', exited);
    batch.child.once('error', exited);
    this.#batch = batch;
    return batch;
  }

  /** After each answer: an idle helper arms its quiet-spell timer and may make room for another repository's. */
  #settled(): void {
    const batch = this.#batch;
    if (this.#closed || !batch || batch.busy) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => void this.#stopBatch(batch), this.#idleMs);
    this.#idleTimer.unref();
    this.#pool.idle(batch);
  }

  /** Stops `batch` (default: the current one) if it is still this reader's. */
  async #stopBatch(batch = this.#batch): Promise<void> {
    if (batch === undefined || batch !== this.#batch) return;
    this.#batch = undefined;
    await batch.stop();
  }
}

/** The cat-file child and the in-order parser of its answers. */
class BatchProcess implements PooledHelper {
  readonly child: ChildProcess;
  readonly evict: () => void;
  readonly #queue: Pending[] = [];
  #input: Buffer = Buffer.alloc(0);
  #body: { info: ObjectInfo; data: Buffer; filled: number } | undefined;
  #stderr = '';
  #dead = false;
  #stopping = false;

  /** `evict` is what the pool calls to make room: the owner stops this helper. */
  constructor(gitDir: string, evict: () => void) {
    this.evict = evict;
    this.child = startGit(gitDir, ['cat-file', '--batch-command']);
    this.child.stdout?.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-4096);
    });
    this.child.stdin?.on('error', () => {
      // Writing to a dead process fails here; its exit handler rejects the pending requests.
    });
    this.child.once('error', (error) => this.#fail(error));
    this.child.once('exit', (code) => {
      const line = this.#stderr.split('\n').find((text) => text.startsWith('fatal:')) ?? '';
      this.#fail(new GitError('cat-file', code, line));
    });
  }

  /** Whether requests are waiting for answers. */
  get busy(): boolean {
    return this.#queue.length > 0;
  }

  /** Whether requests may still be sent: neither exited nor told to stop. */
  get usable(): boolean {
    return !this.#dead && !this.#stopping;
  }

  send(name: string, pending: Pending): void {
    this.#queue.push(pending);
    this.child.stdin?.write(`${pending.withContent ? 'contents' : 'info'} ${name}\n`);
  }

  /** Closes stdin so git exits, kills it if it lingers, and waits for the exit. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.child.stdin?.end();
    const exited = waitForExit(this.child);
    const timer = setTimeout(() => terminate(this.child), 1000);
    await exited;
    clearTimeout(timer);
  }

  #fail(error: Error): void {
    this.#dead = true;
    for (const pending of this.#queue.splice(0)) pending.reject(error);
  }

  #onData(chunk: Buffer): void {
    this.#input = this.#input.length ? Buffer.concat([this.#input, chunk]) : chunk;
    while (this.#input.length > 0 && this.#step());
  }

  /** Consumes one piece of the answer stream; false when more input is needed. */
  #step(): boolean {
    if (this.#body) return this.#readBody(this.#body);
    const newline = this.#input.indexOf(0x0a);
    if (newline < 0) return false;
    const line = this.#input.subarray(0, newline).toString('utf8');
    this.#input = this.#input.subarray(newline + 1);
    const pending = this.#queue[0];
    if (!pending) return true;
    const answer = parseAnswerLine(line);
    if (pending.withContent && typeof answer !== 'string') {
      this.#body = { info: answer, data: Buffer.allocUnsafe(answer.size), filled: 0 };
      return true;
    }
    this.#queue.shift();
    pending.resolve(answer);
    return true;
  }

  #readBody(body: { info: ObjectInfo; data: Buffer; filled: number }): boolean {
    const wanted = body.info.size - body.filled;
    if (wanted > 0) {
      const taken = this.#input.copy(body.data, body.filled, 0, Math.min(wanted, this.#input.length));
      body.filled += taken;
      this.#input = this.#input.subarray(taken);
      if (body.filled < body.info.size) return false;
    }
    if (this.#input.length === 0) return false;
    this.#input = this.#input.subarray(1); // the LF after the content
    this.#body = undefined;
    this.#queue.shift()?.resolve(body.info, body.data);
    return true;
  }
}

/** `<oid> <type> <size>`, or `<name> missing` / `<name> ambiguous`. */
function parseAnswerLine(line: string): Answer {
  const found = FOUND_LINE.exec(line);
  if (found) return { oid: found[1] as string, type: found[2] as ObjectType, size: Number(found[3]) };
  return line.endsWith(' ambiguous') ? 'ambiguous' : 'missing';
}

/** Parses the header of a raw commit object (`tree`, `parent`, `author`, `committer` lines). */
export function parseCommit(oid: string, data: Uint8Array): Commit {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  const headerEnd = text.indexOf('\n\n');
  const header = headerEnd < 0 ? text : text.slice(0, headerEnd);
  let tree = '';
  const parents: string[] = [];
  let authorTime: Date | undefined;
  let committerTime: Date | undefined;
  for (const line of header.split('\n')) {
    const space = line.indexOf(' ');
    const key = line.slice(0, space);
    const value = line.slice(space + 1);
    if (key === 'tree') tree = value;
    else if (key === 'parent') parents.push(value);
    else if (key === 'author') authorTime = identityTime(value);
    else if (key === 'committer') committerTime = identityTime(value);
  }
  if (!tree || !authorTime || !committerTime) throw new Error(`malformed commit object ${oid}`);
  return { oid, tree, parents, committerTime, authorTime };
}

/** The time of an identity line `Name <email> <unix seconds> <±hhmm>`. */
function identityTime(identity: string): Date | undefined {
  const match = / (\d+) [+-]\d{4}$/.exec(identity);
  return match ? new Date(Number(match[1]) * 1000) : undefined;
}

function hexName(name: string): string {
  if (!HEX_PREFIX.test(name)) throw new TypeError(`not a hex object name: ${JSON.stringify(name)}`);
  return name.toLowerCase();
}

function fullOid(oid: string): string {
  if (!isFullObjectId(oid)) throw new TypeError(`not a full object id: ${JSON.stringify(oid)}`);
  return oid;
}

/** A clean, relative, slash-separated path inside a tree (what `<commit>:<path>` expects). */
function treePath(path: string): string {
  const clean = path !== '' && !/[\n\0]/.test(path) &&
    path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
  if (!clean) throw new TypeError(`not a clean relative path: ${JSON.stringify(path)}`);
  return path;
}
