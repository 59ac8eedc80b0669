/**
 * The pin record: for every (module, version) this proxy has served, the commit it came from, the
 * `.info` time and the `h1:` hashes of its `.mod` and `.zip`, so that a version once served is
 * served with the same bytes forever (as proxy.golang.org does), whatever happens to its tag.
 *
 * The record is one append-only file of JSON lines, `<dataDir>/pins.jsonl`, readable by a person:
 *
 *     {"module":"go.example.com/a/b","version":"v1.0.0","commit":"…","time":"2020-01-02T03:04:05Z","mod":"h1:…","zip":"h1:…"}
 *
 * A version whose `.mod` was served before its `.zip` gets a first line without `zip` and, later, a
 * second, complete line; a later line may only add the zip hash, never change what an earlier line
 * says. Appends are batched (group commit) and `fdatasync`ed before `record()` resolves, so a
 * response that depends on a pin completes only once the pin is on disk. A crash can leave a torn
 * last line (no newline): loading ignores it and cuts it off, so the next append starts a clean
 * line. Anything else that does not parse stops start-up with the file and line number.
 */
import { closeSync, fdatasync, fsyncSync, ftruncate, ftruncateSync, mkdirSync, openSync, readFileSync, write } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from './config.ts';

/** What was served under one module version. */
export interface Pin {
  readonly module: string;
  readonly version: string;
  /** Full object id of the commit the files came from. */
  readonly commit: string;
  /** The `.info` `Time`: the commit's committer time, RFC 3339 in UTC, whole seconds. */
  readonly time: string;
  /** `h1:` of the `.mod` answer (go.sum's `/go.mod` line). */
  readonly mod: string;
  /** `h1:` of the module zip (go.sum's first line); absent until the zip has been served. */
  readonly zip?: string;
}

/** The record file's name inside the data directory. */
export const PINS_FILE = 'pins.jsonl';

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);
const ftruncateAsync = promisify(ftruncate);

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const H1 = /^h1:[A-Za-z0-9+/]{43}=$/;
const INFO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** A second, different answer for a version that is already pinned. */
export class PinConflictError extends Error {
  constructor(pinned: Pin, offered: Pin) {
    super(`${pinned.module}@${pinned.version}: pinned ${describe(pinned)}, now ${describe(offered)}`);
    this.name = 'PinConflictError';
  }
}

function describe(pin: Pin): string {
  return `commit ${pin.commit} time ${pin.time} mod ${pin.mod}${pin.zip === undefined ? '' : ` zip ${pin.zip}`}`;
}

/** Whether `later` can be recorded over `earlier`: same commit, time and go.mod; a zip hash may be added, not changed. */
function agrees(earlier: Pin, later: Pin): boolean {
  return (
    earlier.commit === later.commit &&
    earlier.time === later.time &&
    earlier.mod === later.mod &&
    (earlier.zip === undefined || later.zip === undefined || earlier.zip === later.zip)
  );
}

/** The pins of one data directory, in memory, with the file they are appended to. */
export class PinStore {
  /** Path of the record file. */
  readonly file: string;
  /** Whether loading found and cut off a torn last line (a crash during an append). */
  readonly droppedTornLine: boolean;
  readonly #fd: number;
  /** Durable pins by `module version`. */
  readonly #pins: Map<string, Pin>;
  /** Pins being written, by key: `get()` sees them at once, so racing requests agree. */
  readonly #pending = new Map<string, { pin: Pin; written: Promise<void> }>();
  readonly #versions = new Map<string, Set<string>>();
  /** Length of the file up to its last complete line. */
  #size: number;
  #batch: { lines: string[]; written: Promise<void> } | undefined;
  #lastWrite: Promise<void> = Promise.resolve();
  #broken: Error | undefined;
  #closed = false;

  /**
   * Creates `dataDir` if needed and loads its record (synchronously: this is start-up). A directory
   * that cannot be used or a record that does not load is a `ConfigError` on `dataDir`.
   */
  static open(dataDir: string): PinStore {
    try {
      mkdirSync(dataDir, { recursive: true });
      return new PinStore(join(dataDir, PINS_FILE));
    } catch (error) {
      throw new ConfigError('dataDir', (error as Error).message);
    }
  }

  private constructor(file: string) {
    this.file = file;
    const { pins, completeLength, torn } = readPins(file);
    this.#pins = pins;
    for (const pin of pins.values()) this.#indexVersion(pin);
    this.#fd = openSync(file, 'a');
    if (completeLength === 0 && !torn) fsyncDirectory(join(file, '..'));
    if (torn) ftruncateSync(this.#fd, completeLength);
    this.#size = completeLength;
    this.droppedTornLine = torn;
  }

  /** Number of versions pinned on disk. */
  get size(): number {
    return this.#pins.size;
  }

  /** The pin of a version (including one still being written), or undefined. */
  get(module: string, version: string): Pin | undefined {
    const key = pinKey(module, version);
    return this.#pending.get(key)?.pin ?? this.#pins.get(key);
  }

  /** Pinned versions of a module, unsorted. */
  versions(module: string): string[] {
    return [...(this.#versions.get(module) ?? [])];
  }

  /** Every pin, in no particular order. */
  all(): Pin[] {
    const merged = new Map(this.#pins);
    for (const [key, { pin }] of this.#pending) merged.set(key, pin);
    return [...merged.values()];
  }

  /**
   * Pins a version, resolving once the line is on disk. Recording what is already pinned writes
   * nothing (it waits for a pending write of it); a zip hash may be added to a pin that has none;
   * anything else that differs throws `PinConflictError`.
   */
  async record(pin: Pin): Promise<void> {
    assertPin(pin);
    const key = pinKey(pin.module, pin.version);
    const existing = this.get(pin.module, pin.version);
    if (existing !== undefined && !agrees(existing, pin)) throw new PinConflictError(existing, pin);
    if (existing !== undefined && (pin.zip === undefined || existing.zip !== undefined)) return this.#pending.get(key)?.written;
    if (this.#closed) throw new Error(`${this.file}: closed`);
    const merged: Pin = { ...existing, ...pin };
    const written = this.#append(`${JSON.stringify(toRecord(merged))}\n`);
    this.#pending.set(key, { pin: merged, written });
    try {
      await written;
      this.#remember(merged);
    } finally {
      if (this.#pending.get(key)?.written === written) this.#pending.delete(key);
    }
  }

  /** Waits for pending writes and closes the file; later records fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#lastWrite;
    closeSync(this.#fd);
  }

  #remember(pin: Pin): void {
    this.#pins.set(pinKey(pin.module, pin.version), pin);
    this.#indexVersion(pin);
  }

  #indexVersion(pin: Pin): void {
    let versions = this.#versions.get(pin.module);
    if (versions === undefined) this.#versions.set(pin.module, (versions = new Set()));
    versions.add(pin.version);
  }

  /** Adds a line to the batch that is written next; lines that arrive during a write share the next one. */
  #append(line: string): Promise<void> {
    if (this.#batch === undefined) {
      const lines: string[] = [];
      const written = this.#lastWrite.then(() => {
        this.#batch = undefined;
        return this.#writeDurably(Buffer.from(lines.join(''), 'utf8'));
      });
      this.#batch = { lines, written };
      this.#lastWrite = written.catch(() => {});
    }
    this.#batch.lines.push(line);
    return this.#batch.written;
  }

  async #writeDurably(bytes: Buffer): Promise<void> {
    if (this.#broken !== undefined) throw this.#broken;
    try {
      for (let offset = 0; offset < bytes.length; ) offset += (await writeAsync(this.#fd, bytes, offset)).bytesWritten;
      await fdatasyncAsync(this.#fd);
      this.#size += bytes.length;
    } catch (error) {
      // Cut off a partial batch so that it cannot become a corrupt line in the middle of the file.
      await ftruncateAsync(this.#fd, this.#size).catch(() => {
        this.#broken = new Error(`${this.file}: a failed append could not be undone; restart to repair`);
      });
      throw error;
    }
  }
}

function pinKey(module: string, version: string): string {
  return `${module} ${version}`;
}

/** The JSON object of a line, with a fixed key order. */
function toRecord(pin: Pin): Pin {
  const { module, version, commit, time, mod, zip } = pin;
  return zip === undefined ? { module, version, commit, time, mod } : { module, version, commit, time, mod, zip };
}

/**
 * Reads a record file without opening it for writing: its pins keyed by `<module> <version>` (later
 * lines merged into earlier ones), and where its last complete line ends.
 */
export function readPins(file: string): { pins: Map<string, Pin>; completeLength: number; torn: boolean } {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { pins: new Map(), completeLength: 0, torn: false };
    throw error;
  }
  const completeLength = data.lastIndexOf(0x0a) + 1;
  const pins = new Map<string, Pin>();
  const lines = data.toString('utf8', 0, completeLength).split('\n');
  lines.pop();
  lines.forEach((line, i) => {
    const pin = parseLine(line, `${file}:${i + 1}`);
    const key = pinKey(pin.module, pin.version);
    const earlier = pins.get(key);
    if (earlier !== undefined && !agrees(earlier, pin)) throw new Error(`${file}:${i + 1}: contradicts an earlier pin of ${pin.module}@${pin.version}`);
    pins.set(key, earlier === undefined ? pin : { ...earlier, ...pin });
  });
  return { pins, completeLength, torn: completeLength < data.length };
}

function parseLine(line: string, where: string): Pin {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`${where}: not a JSON line`);
  }
  const pin = value as Pin;
  try {
    assertPin(pin);
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`);
  }
  return pin;
}

function assertPin(pin: Pin): void {
  if (typeof pin !== 'object' || pin === null) throw new TypeError('pin: not an object');
  const bad = (field: string) => new TypeError(`pin: bad ${field} ${JSON.stringify((pin as unknown as Record<string, unknown>)[field])}`);
  if (typeof pin.module !== 'string' || pin.module === '') throw bad('module');
  if (typeof pin.version !== 'string' || pin.version === '') throw bad('version');
  if (typeof pin.commit !== 'string' || !OBJECT_ID.test(pin.commit)) throw bad('commit');
  if (typeof pin.time !== 'string' || !INFO_TIME.test(pin.time)) throw bad('time');
  if (typeof pin.mod !== 'string' || !H1.test(pin.mod)) throw bad('mod');
  if (pin.zip !== undefined && (typeof pin.zip !== 'string' || !H1.test(pin.zip))) throw bad('zip');
}

/** Makes a new file's directory entry durable. */
function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
