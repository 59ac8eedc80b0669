/**
 * The JSON-lines pin store (`store.ts` is the seam it implements): for every (project, module,
 * version) this proxy has served, the commit it came from, the `.info` time and the `h1:` hashes of
 * its `.mod` and `.zip`, so that a version once served is served with the same bytes forever (as
 * proxy.golang.org does), whatever happens to its tag.
 *
 * The record is one append-only file of JSON lines, `<dataDir>/pins.jsonl`, readable by a person
 * (record-line.ts has the line's format). `project` is the full path of the project that owns the module path. Lines written before pins
 * named their project have none: such a pin is `UNOWNED` and belongs to whichever project owns the
 * module path now (a project's own pin of the same version wins over it).
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
 * appending): a last line without its newline is not read (with a warning at start-up), and a torn
 * fragment that the next append was glued to is dropped, with a warning, because every record
 * starts with `{"module":`. Any other line that does not parse stops start-up with the file and
 * line number.
 */
import { closeSync, fdatasync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, write } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../common/errors.ts';
import { isPseudoVersion } from '../modules/pseudo.ts';
import * as semver from '../modules/semver.ts';
import { copyOf, PinTable } from './pin-table.ts';
import {
  FIELD_COUNT,
  FIELD_MODULE,
  FIELD_PROJECT,
  FIELD_VERSION,
  isPlainPseudoVersion,
  parseLine,
  pinLine,
  type PinWarning,
  scanPlainLine,
} from './record-line.ts';
import { agrees, assertPin, moduleKey, type Pin, PinConflictError, pinKey, type PinStore, UNOWNED } from './store.ts';

/** The record file's name inside the data directory. */
export const PINS_FILE = 'pins.jsonl';

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);

/** Most bytes of the record read into memory at once at start-up. */
const READ_CHUNK = 4 << 20;

/** The listed versions of one project's module: sorted, plus those added since the last read. */
interface VersionIndex {
  sorted: string[];
  added: string[];
}

/** The pins of one data directory, in memory, with the file they are appended to. */
export class FilePinStore implements PinStore {
  /** Path of the record file. */
  readonly #file: string;
  readonly #fd: number;
  readonly #warn: PinWarning;
  /** Pins read from the file. */
  readonly #pins = new PinTable();
  /** Pins being written, by key: `get()` sees them at once, so racing requests agree. */
  readonly #pending = new Map<string, { pin: Pin; written: Promise<void> }>();
  /** Listed (non-pseudo) versions by `moduleKey`. */
  readonly #listed = new Map<string, VersionIndex>();
  /** Bytes of the file read so far, always up to the end of a line, and how many lines they hold. */
  #readOffset = 0;
  #linesRead = 0;
  /** Where the fields of the line being read are (`scanPlainLine`). */
  readonly #fields = new Int32Array(FIELD_COUNT);
  #batch: { lines: string[]; written: Promise<void> } | undefined;
  #lastWrite: Promise<void> = Promise.resolve();
  #broken: Error | undefined;
  /** Set by `close()`: no new records. */
  #closed = false;
  /** Records under way, which `close()` waits for. */
  readonly #recording = new Set<Promise<void>>();
  #fdClosed = false;

  /**
   * Creates `dataDir` if needed and loads its record (synchronously: this is start-up). A directory
   * that cannot be used or a record that does not load is a `ConfigError` on `dataDir`.
   */
  static open(dataDir: string, warn: PinWarning = () => {}): FilePinStore {
    try {
      mkdirSync(dataDir, { recursive: true });
      return new FilePinStore(join(dataDir, PINS_FILE), warn);
    } catch (error) {
      throw new ConfigError('dataDir', (error as Error).message);
    }
  }

  private constructor(file: string, warn: PinWarning) {
    this.#file = file;
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
    if (fstatSync(this.#fd).size > this.#readOffset) {
      warn(`${file} ends in a torn line (a crash during a write): it is ignored`);
    }
  }

  /** Number of versions pinned on disk. */
  get size(): number {
    this.#catchUp();
    return this.#pins.size;
  }

  async get(project: string, module: string, version: string): Promise<Pin | undefined> {
    this.#catchUp();
    return this.#lookup(project, module, version);
  }

  async versions(project: string, module: string): Promise<readonly string[]> {
    this.#catchUp();
    const own = this.#sortedVersions(project, module);
    if (project === UNOWNED) return own;
    const unowned = this.#sortedVersions(UNOWNED, module);
    return unowned.length === 0 ? own : mergeSorted(own, unowned);
  }

  async *all(): AsyncGenerator<Pin> {
    this.#catchUp();
    const pending = [...this.#pending.values()].map(({ pin }) => pin);
    for (const pin of this.#pins.values()) {
      if (!this.#pending.has(pinKey(pin.project, pin.module, pin.version))) yield pin;
    }
    yield* pending;
  }

  async record(pin: Pin): Promise<void> {
    assertPin(pin);
    if (this.#closed) throw new Error(`${this.#file}: closed`);
    const recording = this.#record(pin);
    this.#recording.add(recording);
    try {
      await recording;
    } finally {
      this.#recording.delete(recording);
    }
  }

  async #record(pin: Pin): Promise<void> {
    this.#catchUp();
    const key = pinKey(pin.project, pin.module, pin.version);
    const existing = this.#lookup(pin.project, pin.module, pin.version);
    if (existing !== undefined && !agrees(existing, pin)) throw new PinConflictError(existing, pin);
    const complete = existing !== undefined && (pin.zip === undefined || existing.zip !== undefined);
    if (complete && existing.project === pin.project) return this.#pending.get(key)?.written;
    const zip = pin.zip ?? existing?.zip;
    const merged: Pin = zip === undefined ? { ...pin } : { ...pin, zip };
    const written = this.#append(`${pinLine(merged)}\n`);
    this.#pending.set(key, { pin: merged, written });
    try {
      await written;
    } finally {
      if (this.#pending.get(key)?.written === written) this.#pending.delete(key);
    }
    this.#catchUp();
    const first = this.#pins.get(pin.project, pin.module, pin.version);
    if (first === undefined) {
      throw new Error(`${this.#file}: the pin of ${pin.module}@${pin.version} is not in the file after writing it`);
    }
    if (!agrees(first, merged)) throw new PinConflictError(first, merged);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled(this.#recording);
    await this.#lastWrite;
    this.#fdClosed = true;
    closeSync(this.#fd);
  }

  /** The project's own pin (pending first), else the version's `UNOWNED` pin. */
  #lookup(project: string, module: string, version: string): Pin | undefined {
    const find = (owner: string) => {
      const key = pinKey(owner, module, version);
      return this.#pending.get(key)?.pin ?? this.#pins.get(owner, module, version);
    };
    return find(project) ?? (project === UNOWNED ? undefined : find(UNOWNED));
  }

  /** Sorts what was added to a module's index since the last read into it (once, not per request). */
  #sortedVersions(project: string, module: string): string[] {
    const index = this.#listed.get(moduleKey(project, module));
    if (index === undefined) return [];
    if (index.added.length > 0) {
      index.sorted = mergeSorted(index.sorted, semver.sortVersions(index.added));
      index.added = [];
    }
    return index.sorted;
  }

  /**
   * Reads the complete lines appended since the last call (by any process) into memory, at most
   * `READ_CHUNK` bytes at a time (more only for a longer line).
   */
  #catchUp(): void {
    if (this.#fdClosed) return;
    const size = fstatSync(this.#fd).size;
    if (size <= this.#readOffset) return;
    let bytes = Buffer.allocUnsafe(Math.min(size - this.#readOffset, READ_CHUNK));
    while (size > this.#readOffset) {
      const got = readSync(this.#fd, bytes, 0, Math.min(bytes.length, size - this.#readOffset), this.#readOffset);
      const end = got === 0 ? 0 : bytes.lastIndexOf(0x0a, got - 1) + 1;
      if (end === 0) {
        // No newline: a torn last line, or a line longer than the buffer.
        if (got < bytes.length || got === size - this.#readOffset) return;
        bytes = Buffer.allocUnsafe(bytes.length * 2);
        continue;
      }
      this.#readLines(bytes.subarray(0, end));
      this.#readOffset += end;
    }
  }

  /**
   * Merges whole lines (each ending in a newline) into memory. A plain line (`scanPlainLine`) is
   * loaded from its bytes; any other, and one the table leaves (`PinTable.load`), is parsed as a
   * string of its own, which no kept string refers into.
   */
  #readLines(bytes: Buffer): void {
    for (let at = 0; at < bytes.length;) {
      let newline = scanPlainLine(bytes, at, this.#fields);
      const loaded = newline < 0 ? undefined : this.#pins.load(bytes, this.#fields);
      if (loaded === 'new') this.#indexLoadedVersion(bytes);
      else if (loaded === undefined) {
        newline = bytes.indexOf(0x0a, at);
        const where = `${this.#file}:${this.#linesRead + 1}`;
        this.#merge(parseLine(bytes.toString('utf8', at, newline), where, this.#warn), where);
      }
      this.#linesRead++;
      at = newline + 1;
    }
  }

  /** `#indexVersion` of a version just loaded from its bytes: the common pseudo-versions are known as such without a string. */
  #indexLoadedVersion(bytes: Buffer): void {
    const [start, end] = [this.#fields[FIELD_VERSION]!, this.#fields[FIELD_VERSION + 1]!];
    if (isPlainPseudoVersion(bytes, start, end)) return;
    const fields = this.#fields;
    this.#indexVersion(
      bytes.toString('latin1', start, end),
      bytes.toString('latin1', fields[FIELD_PROJECT]!, fields[FIELD_PROJECT + 1]!),
      bytes.toString('latin1', fields[FIELD_MODULE]!, fields[FIELD_MODULE + 1]!),
    );
  }

  /** The first pin of a version wins; a later line may only add its zip hash. */
  #merge(pin: Pin, where: string): void {
    const earlier = this.#pins.get(pin.project, pin.module, pin.version);
    if (earlier === undefined) {
      this.#pins.set(pin);
      this.#indexVersion(pin.version, pin.project, pin.module);
    } else if (!agrees(earlier, pin)) {
      this.#warn(`${where}: ignored, an earlier line pinned it first: ${new PinConflictError(earlier, pin).message}`);
    } else if (earlier.zip === undefined && pin.zip !== undefined) {
      this.#pins.set({ ...earlier, zip: pin.zip });
    }
  }

  #indexVersion(version: string, project: string, module: string): void {
    if (isPseudoVersion(version)) return;
    const key = moduleKey(project, module);
    let index = this.#listed.get(key);
    if (index === undefined) this.#listed.set(key, index = { sorted: [], added: [] });
    index.added.push(copyOf(version));
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
      for (let offset = 0; offset < bytes.length;) offset += (await writeAsync(this.#fd, bytes, offset)).bytesWritten;
      await fdatasyncAsync(this.#fd);
    } catch (error) {
      // After a failed write or fsync nothing is known about what reached the disk (and a partial
      // line is recovered only by the next load): record nothing more until a restart.
      this.#broken = new Error(`${this.#file}: an append failed (${(error as Error).message}); restart the server`);
      throw this.#broken;
    }
  }
}

/** Two semver-sorted lists as one, without repeats. */
function mergeSorted(a: readonly string[], b: readonly string[]): string[] {
  const merged: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const order = i === a.length
      ? 1
      : j === b.length
      ? -1
      : semver.compare(a[i]!, b[j]!) || (a[i]! < b[j]! ? -1 : a[i]! > b[j]! ? 1 : 0);
    const next = order <= 0 ? a[i++]! : b[j++]!;
    if (order === 0) j++;
    if (merged.at(-1) !== next) merged.push(next);
  }
  return merged;
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
