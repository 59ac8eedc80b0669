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
 * says; of two contradicting lines the first wins. Appends are batched (group commit) and
 * `fdatasync`ed before `record()` resolves, so a response that depends on a pin completes only once
 * the pin is on disk.
 *
 * Several processes may share the file (`--workers`): each appends whole lines with `O_APPEND`, and
 * reads what the others appended before it answers from its pins (one `fstat` when nothing is new),
 * so a version pinned by one is pinned for all. After its own append a process re-reads the file:
 * if another pinned the same version first with other content, its own record fails.
 *
 * A crash during an append can leave a torn line. Nothing is ever truncated (another process may be
 * appending): a last line without its newline is not read, and a torn fragment that the next append
 * was glued to is dropped, with a warning, because every record starts with `{"module":`. Any other
 * line that does not parse stops start-up with the file and line number.
 */
import { closeSync, fdatasync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, write } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../common/errors.ts';
import { isFullObjectId } from '../git/object-id.ts';

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

const H1 = /^h1:[A-Za-z0-9+/]{43}=$/;
const INFO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
/** How every record line starts (`toRecord` fixes the key order); module paths cannot contain `{` or `"`. */
const RECORD_START = '{"module":';

/** Receives one-line warnings about the record. */
export type PinWarning = (message: string) => void;

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
  /** Whether the file ended in a torn line at start (a crash during an append). */
  readonly endedTorn: boolean;
  readonly #fd: number;
  readonly #warn: PinWarning;
  /** Pins read from the file, by `module version`. */
  readonly #pins = new Map<string, Pin>();
  /** Pins being written, by key: `get()` sees them at once, so racing requests agree. */
  readonly #pending = new Map<string, { pin: Pin; written: Promise<void> }>();
  readonly #versions = new Map<string, Set<string>>();
  /** Bytes of the file read so far, always up to the end of a line, and how many lines they hold. */
  #readOffset = 0;
  #linesRead = 0;
  #batch: { lines: string[]; written: Promise<void> } | undefined;
  #lastWrite: Promise<void> = Promise.resolve();
  #broken: Error | undefined;
  #closed = false;

  /**
   * Creates `dataDir` if needed and loads its record (synchronously: this is start-up). A directory
   * that cannot be used or a record that does not load is a `ConfigError` on `dataDir`.
   */
  static open(dataDir: string, warn: PinWarning = () => {}): PinStore {
    try {
      mkdirSync(dataDir, { recursive: true });
      return new PinStore(join(dataDir, PINS_FILE), warn);
    } catch (error) {
      throw new ConfigError('dataDir', (error as Error).message);
    }
  }

  private constructor(file: string, warn: PinWarning) {
    this.file = file;
    this.#warn = warn;
    this.#fd = openSync(file, 'a+');
    try {
      // A new file's directory entry must be durable too.
      if (fstatSync(this.#fd).size === 0) fsyncDirectory(dirname(file));
      this.#catchUp();
    } catch (error) {
      closeSync(this.#fd);
      throw error;
    }
    this.endedTorn = fstatSync(this.#fd).size > this.#readOffset;
  }

  /** Number of versions pinned on disk. */
  get size(): number {
    this.#catchUp();
    return this.#pins.size;
  }

  /** The pin of a version (including one still being written), or undefined. */
  get(module: string, version: string): Pin | undefined {
    this.#catchUp();
    const key = pinKey(module, version);
    return this.#pending.get(key)?.pin ?? this.#pins.get(key);
  }

  /** Pinned versions of a module, unsorted. */
  versions(module: string): string[] {
    this.#catchUp();
    return [...(this.#versions.get(module) ?? [])];
  }

  /** Every pin, in no particular order. */
  all(): Pin[] {
    this.#catchUp();
    const merged = new Map(this.#pins);
    for (const [key, { pin }] of this.#pending) merged.set(key, pin);
    return [...merged.values()];
  }

  /**
   * Pins a version, resolving once the line is on disk. Recording what is already pinned writes
   * nothing (it waits for a pending write of it); a zip hash may be added to a pin that has none;
   * anything else that differs throws `PinConflictError`, also when another process sharing the
   * file pinned the version first.
   */
  async record(pin: Pin): Promise<void> {
    assertPin(pin);
    if (this.#closed) throw new Error(`${this.file}: closed`);
    const key = pinKey(pin.module, pin.version);
    const existing = this.get(pin.module, pin.version);
    if (existing !== undefined && !agrees(existing, pin)) throw new PinConflictError(existing, pin);
    if (existing !== undefined && (pin.zip === undefined || existing.zip !== undefined)) return this.#pending.get(key)?.written;
    const merged: Pin = { ...existing, ...pin };
    const written = this.#append(`${JSON.stringify(toRecord(merged))}\n`);
    this.#pending.set(key, { pin: merged, written });
    try {
      await written;
    } finally {
      if (this.#pending.get(key)?.written === written) this.#pending.delete(key);
    }
    this.#catchUp();
    const first = this.#pins.get(key);
    if (first === undefined) throw new Error(`${this.file}: the pin of ${pin.module}@${pin.version} is not in the file after writing it`);
    if (!agrees(first, merged)) throw new PinConflictError(first, merged);
  }

  /** Waits for pending writes and closes the file; later records fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#lastWrite;
    closeSync(this.#fd);
  }

  /** Reads the complete lines appended since the last call (by any process) into memory. */
  #catchUp(): void {
    if (this.#closed) return;
    const size = fstatSync(this.#fd).size;
    if (size <= this.#readOffset) return;
    const bytes = Buffer.allocUnsafe(size - this.#readOffset);
    const got = readSync(this.#fd, bytes, 0, bytes.length, this.#readOffset);
    const end = got === 0 ? 0 : bytes.lastIndexOf(0x0a, got - 1) + 1;
    if (end === 0) return;
    const lines = bytes.toString('utf8', 0, end).split('\n');
    lines.pop();
    for (const line of lines) {
      const where = `${this.file}:${this.#linesRead + 1}`;
      this.#merge(parseLine(line, where, this.#warn), where);
      this.#linesRead++;
    }
    this.#readOffset += end;
  }

  /** The first pin of a version wins; a later line may only add its zip hash. */
  #merge(pin: Pin, where: string): void {
    const key = pinKey(pin.module, pin.version);
    const earlier = this.#pins.get(key);
    if (earlier === undefined) {
      this.#pins.set(key, pin);
      this.#indexVersion(pin);
    } else if (!agrees(earlier, pin)) {
      this.#warn(`${where}: ignored, an earlier line pinned it first: ${new PinConflictError(earlier, pin).message}`);
    } else if (earlier.zip === undefined && pin.zip !== undefined) {
      this.#pins.set(key, { ...earlier, zip: pin.zip });
    }
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
    } catch (error) {
      // After a failed write or fsync nothing is known about what reached the disk (and a partial
      // line is recovered only by the next load): record nothing more until a restart.
      this.#broken = new Error(`${this.file}: an append failed (${(error as Error).message}); restart the server`);
      throw this.#broken;
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
 * Reads a record file without opening it for writing (a process that only looks): its pins keyed by
 * `<module> <version>`, merged as `PinStore` merges them.
 */
export function readPins(file: string): { pins: Map<string, Pin> } {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { pins: new Map() };
    throw error;
  }
  const pins = new Map<string, Pin>();
  const lines = data.toString('utf8', 0, data.lastIndexOf(0x0a) + 1).split('\n');
  lines.pop();
  lines.forEach((line, i) => {
    const pin = parseLine(line, `${file}:${i + 1}`, () => {});
    const key = pinKey(pin.module, pin.version);
    const earlier = pins.get(key);
    if (earlier === undefined) pins.set(key, pin);
    else if (agrees(earlier, pin) && earlier.zip === undefined) pins.set(key, { ...earlier, ...pin });
  });
  return { pins };
}

/**
 * A record line. A line that holds a torn fragment followed by a whole record (the next append
 * after a crash) gives that record, with a warning.
 */
function parseLine(line: string, where: string, warn: PinWarning): Pin {
  const start = line.lastIndexOf(RECORD_START);
  const pin = start < 0 ? undefined : tryParse(line.slice(start));
  if (pin === undefined) throw new Error(`${where}: not a pin record`);
  if (start > 0) warn(`${where}: dropped a torn fragment of an earlier append (a crash during a write)`);
  try {
    assertPin(pin);
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`);
  }
  return pin;
}

function tryParse(text: string): Pin | undefined {
  try {
    return JSON.parse(text) as Pin;
  } catch {
    return undefined;
  }
}

function assertPin(pin: Pin): void {
  if (typeof pin !== 'object' || pin === null) throw new TypeError('pin: not an object');
  const bad = (field: string) => new TypeError(`pin: bad ${field} ${JSON.stringify((pin as unknown as Record<string, unknown>)[field])}`);
  if (typeof pin.module !== 'string' || pin.module === '') throw bad('module');
  if (typeof pin.version !== 'string' || pin.version === '') throw bad('version');
  if (typeof pin.commit !== 'string' || !isFullObjectId(pin.commit)) throw bad('commit');
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
