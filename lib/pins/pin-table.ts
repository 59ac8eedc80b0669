/**
 * The file pin store's pins in memory, compact: a million pins in about 170 MB (150 bytes each)
 * instead of a gigabyte of objects and strings.
 *
 * Each pin is a fixed-size binary record in large shared buffers: the commit's bytes, the time as
 * seconds, the hashes' 32 bytes each, the number of its (project, module) — those two strings are
 * kept once per module — and where its version's bytes are in a buffer of versions. An
 * open-addressing hash table of record numbers (an `Int32Array`) finds a pin by module and version;
 * no JavaScript object or string is kept per pin. A pin whose fields would not come back byte for
 * byte from that form (a hash with non-canonical base64, an impossible date, a version that is not
 * short ASCII) is kept as it is, as an object.
 *
 * A record line is loaded straight from the file's bytes (`load`): its fields are checked and
 * decoded (hex, base64, the time's digits) into one scratch record, and the module is found by
 * its bytes, so loading a pin makes no string at all (a million load in about a second).
 */
import { moduleKey, type Pin, pinKey } from './store.ts';
import {
  FIELD_COMMIT,
  FIELD_COUNT,
  FIELD_MOD,
  FIELD_MODULE,
  FIELD_PROJECT,
  FIELD_TIME,
  FIELD_VERSION,
  FIELD_ZIP,
} from './record-line.ts';

/**
 * Record layout: flags, commit (20 or 32 bytes), time (float64 seconds), mod hash, zip hash, module
 * number, version's place, the hash of module and version (`versionHash`). The record after the last
 * is where a pin is decoded and hashed before it is known to be new.
 */
const FLAGS = 0;
const COMMIT = 1;
const TIME = COMMIT + 32;
const MOD = TIME + 8;
const ZIP = MOD + 32;
const MODULE = ZIP + 32;
const VERSION_AT = MODULE + 4;
const VERSION_LENGTH = VERSION_AT + 4;
const HASH = VERSION_LENGTH + 1;
const RECORD_BYTES = HASH + 4;
const SHA256_COMMIT = 1;
const HAS_ZIP = 2;
/** Records per buffer: a buffer is about 7.5 MB; growing never copies what is there. */
const RECORDS_PER_CHUNK = 1 << 16;
const MAX_VERSION_BYTES = 255;
const VERSION_CHUNK_BYTES = 1 << 20;
const EMPTY = -1;
const H1 = 'h1:';
const H1_HASH_CHARS = 47;
/** Room for a pin's version, commit, time and hashes as text (`set` puts them there to decode them as `load` does). */
const TEXT_BYTES = MAX_VERSION_BYTES + 64 + 20 + 2 * H1_HASH_CHARS;

interface ModuleName {
  readonly project: string;
  readonly module: string;
  readonly id: number;
}

export class PinTable {
  /** Module key → its number; and by number. */
  readonly #moduleIds = new Map<string, ModuleName>();
  readonly #moduleNames: ModuleName[] = [];
  /** Each module's `moduleHash`, by number, and a hash table of module numbers by it (`load` finds modules by their bytes). */
  readonly #moduleHashes: number[] = [];
  #moduleSlots = new Int32Array(1 << 6).fill(EMPTY);
  /** Modules with a pin kept as an object: `load` leaves their lines to `set`. */
  readonly #modulesWithOthers = new Set<number>();
  #lastModule: ModuleName | undefined;
  readonly #chunks: Buffer[] = [];
  #records = 0;
  /** Records replaced by a pin kept as an object. */
  #unused = 0;
  /** Versions' bytes, back to back in buffers of `VERSION_CHUNK_BYTES` (a version never spans two). */
  readonly #versionChunks: Buffer[] = [];
  /** Where the next version's bytes go (an offset over all version buffers). */
  #versionBytes = 0;
  /** Slot → record number, or `EMPTY`; its size a power of two, at most half full. */
  #slots = new Int32Array(1 << 10).fill(EMPTY);
  /** Pins that are not compact, by `pinKey`. */
  readonly #others = new Map<string, Pin>();
  /** `set`'s pin as text, and where its fields are in it. */
  readonly #text = Buffer.alloc(TEXT_BYTES);
  readonly #textFields = new Int32Array(FIELD_COUNT);

  /** Number of pins. */
  get size(): number {
    return this.#records - this.#unused + this.#others.size;
  }

  get(project: string, module: string, version: string): Pin | undefined {
    const other = this.#others.size === 0 ? undefined : this.#others.get(pinKey(project, module, version));
    if (other !== undefined) return other;
    const name = this.#moduleOf(project, module);
    if (name === undefined || !this.#putText(0, version, MAX_VERSION_BYTES, FIELD_VERSION)) return undefined;
    const record = this.#find(name.id, this.#text, 0, version.length);
    return record === undefined ? undefined : this.#decode(record);
  }

  /** Adds `pin`, or replaces the pin of its version. */
  set(pin: Pin): void {
    const kept = this.#others.size > 0 && this.#others.has(pinKey(pin.project, pin.module, pin.version));
    const name = this.#moduleOf(pin.project, pin.module) ?? this.#addModule(pin.project, pin.module);
    const fields = this.#textFields;
    const text = this.#text;
    const existing = kept || !this.#putPinText(pin)
      ? undefined
      : this.#find(name.id, text, fields[FIELD_VERSION]!, fields[FIELD_VERSION + 1]!);
    const [next, nextAt] = [this.#chunk(this.#records), recordAt(this.#records)];
    const compact = !kept && fields[FIELD_VERSION + 1]! > 0 && decodeRecord(text, fields, next, nextAt);
    if (compact) {
      next.writeUInt32LE(name.id, nextAt + MODULE);
      if (existing !== undefined) {
        this.#store(existing);
        return;
      }
      this.#add(text, fields);
      return;
    }
    // Not compact: kept as is; a compact record of the same version is no longer found.
    if (existing !== undefined) {
      this.#emptyVersion(existing);
      this.#unused++;
    }
    this.#modulesWithOthers.add(name.id);
    this.#others.set(pinKey(pin.project, pin.module, pin.version), { ...pin });
  }

  /**
   * Loads a record line's pin from its bytes (`fields` says where each is), first line first:
   * 'new' when it was added, 'same' when its version already had a pin that says the same (a zip
   * hash is added to it), undefined when the pin is not compact or contradicts the earlier one —
   * then the caller goes the long way (`get`, `set`) and nothing here has changed.
   */
  load(bytes: Buffer, fields: Int32Array): 'new' | 'same' | undefined {
    const [next, nextAt] = [this.#chunk(this.#records), recordAt(this.#records)];
    if (fields[FIELD_MODULE + 1]! === fields[FIELD_MODULE]! || !decodeRecord(bytes, fields, next, nextAt)) {
      return undefined;
    }
    let id = this.#moduleAt(bytes, fields);
    if (id !== undefined && this.#modulesWithOthers.has(id)) return undefined;
    id ??= this.#addModule(text(bytes, fields, FIELD_PROJECT), text(bytes, fields, FIELD_MODULE)).id;
    next.writeUInt32LE(id, nextAt + MODULE);
    const existing = this.#find(id, bytes, fields[FIELD_VERSION]!, fields[FIELD_VERSION + 1]!);
    if (existing === undefined) {
      this.#add(bytes, fields);
      return 'new';
    }
    return this.#addZipIfAgrees(existing) ? 'same' : undefined;
  }

  /** Every pin, in no particular order. */
  *values(): Generator<Pin> {
    for (let record = 0; record < this.#records; record++) {
      if (this.#versionLength(record) > 0) yield this.#decode(record);
    }
    yield* this.#others.values();
  }

  /** The module's name and number, if it has pins; the last one asked for is at hand (a load asks twice per pin). */
  #moduleOf(project: string, module: string): ModuleName | undefined {
    const last = this.#lastModule;
    if (last !== undefined && last.project === project && last.module === module) return last;
    const name = this.#moduleIds.get(moduleKey(project, module));
    if (name !== undefined) this.#lastModule = name;
    return name;
  }

  /** The number of the module whose project and module path are the line's bytes, or undefined. */
  #moduleAt(bytes: Buffer, fields: Int32Array): number | undefined {
    const [projectStart, projectEnd, moduleStart, moduleEnd] = [
      fields[FIELD_PROJECT]!,
      fields[FIELD_PROJECT + 1]!,
      fields[FIELD_MODULE]!,
      fields[FIELD_MODULE + 1]!,
    ];
    const hash =
      mix(mixBytes(mixBytes(FNV_OFFSET, bytes, projectStart, projectEnd), bytes, moduleStart, moduleEnd), SEPARATOR) >>>
      1;
    const mask = this.#moduleSlots.length - 1;
    for (let slot = hash & mask;; slot = (slot + 1) & mask) {
      const id = this.#moduleSlots[slot]!;
      if (id === EMPTY) return undefined;
      const name = this.#moduleNames[id]!;
      if (
        this.#moduleHashes[id] === hash && sameText(name.project, bytes, projectStart, projectEnd) &&
        sameText(name.module, bytes, moduleStart, moduleEnd)
      ) return id;
    }
  }

  #addModule(project: string, module: string): ModuleName {
    const name = { project: copyOf(project), module: copyOf(module), id: this.#moduleNames.length };
    this.#moduleIds.set(moduleKey(project, module), name);
    this.#moduleNames.push(name);
    this.#moduleHashes.push(moduleHash(project, module));
    if (2 * this.#moduleNames.length <= this.#moduleSlots.length) this.#placeModule(name.id);
    else {
      this.#moduleSlots = new Int32Array(this.#moduleSlots.length * 2).fill(EMPTY);
      for (let id = 0; id < this.#moduleNames.length; id++) this.#placeModule(id);
    }
    return (this.#lastModule = name);
  }

  #placeModule(id: number): void {
    const mask = this.#moduleSlots.length - 1;
    let slot = this.#moduleHashes[id]! & mask;
    while (this.#moduleSlots[slot] !== EMPTY) slot = (slot + 1) & mask;
    this.#moduleSlots[slot] = id;
  }

  /** The record of module `id` whose version is `bytes[start, end)`, or undefined. */
  #find(id: number, bytes: Buffer, start: number, end: number): number | undefined {
    const mask = this.#slots.length - 1;
    const hash = versionHash(id, bytes, start, end);
    this.#chunk(this.#records).writeUInt32LE(hash, recordAt(this.#records) + HASH);
    for (let slot = hash & mask;; slot = (slot + 1) & mask) {
      const record = this.#slots[slot]!;
      if (record === EMPTY) return undefined;
      const chunk = this.#chunk(record);
      const at = recordAt(record);
      if (
        chunk.readUInt32LE(at + HASH) === hash && chunk.readUInt32LE(at + MODULE) === id &&
        this.#versionIs(chunk[at + VERSION_LENGTH]!, chunk.readUInt32LE(at + VERSION_AT), bytes, start, end)
      ) return record;
    }
  }

  /** Adds the record decoded after the last (`decodeRecord`) and hashed (`#find`), its version `bytes[fields' version]`. */
  #add(bytes: Buffer, fields: Int32Array): void {
    const record = this.#records++;
    this.#writeVersion(record, bytes, fields[FIELD_VERSION]!, fields[FIELD_VERSION + 1]!);
    if (2 * this.#records > this.#slots.length) this.#grow();
    else this.#place(record);
  }

  /** Copies the record decoded after the last over record `record` (its version stays). */
  #store(record: number): void {
    this.#chunk(this.#records).copy(
      this.#chunk(record),
      recordAt(record),
      recordAt(this.#records),
      recordAt(this.#records) + VERSION_AT,
    );
  }

  /** Whether the record decoded after the last says what record `record` says (`agrees`); if so, its zip hash is added to the record if it has none. */
  #addZipIfAgrees(record: number): boolean {
    const chunk = this.#chunk(record);
    const at = recordAt(record);
    const [next, nextAt] = [this.#chunk(this.#records), recordAt(this.#records)];
    const flags = chunk[at + FLAGS]!;
    const newFlags = next[nextAt + FLAGS]!;
    const bothZips = flags & newFlags & HAS_ZIP;
    const same = (flags & SHA256_COMMIT) === (newFlags & SHA256_COMMIT) &&
      chunk.compare(next, nextAt + COMMIT, nextAt + ZIP, at + COMMIT, at + ZIP) === 0 &&
      (bothZips === 0 || chunk.compare(next, nextAt + ZIP, nextAt + MODULE, at + ZIP, at + MODULE) === 0);
    if (!same) return false;
    if ((newFlags & HAS_ZIP) !== 0 && (flags & HAS_ZIP) === 0) {
      next.copy(chunk, at + ZIP, nextAt + ZIP, nextAt + MODULE);
      chunk[at + FLAGS] = flags | HAS_ZIP;
    }
    return true;
  }

  #place(record: number): void {
    const mask = this.#slots.length - 1;
    let slot = this.#chunk(record).readUInt32LE(recordAt(record) + HASH) & mask;
    while (this.#slots[slot] !== EMPTY) slot = (slot + 1) & mask;
    this.#slots[slot] = record;
  }

  /** Doubles the hash table and re-places every record. */
  #grow(): void {
    this.#slots = new Int32Array(this.#slots.length * 2).fill(EMPTY);
    for (let record = 0; record < this.#records; record++) this.#place(record);
  }

  #versionIs(length: number, offset: number, version: Buffer, start: number, end: number): boolean {
    if (length !== end - start) return false;
    const bytes = this.#versionChunks[Math.floor(offset / VERSION_CHUNK_BYTES)]!;
    const at = offset % VERSION_CHUNK_BYTES;
    for (let i = 0; i < length; i++) if (bytes[at + i] !== version[start + i]) return false;
    return true;
  }

  #readVersion(offset: number, length: number): string {
    const start = offset % VERSION_CHUNK_BYTES;
    return this.#versionChunks[Math.floor(offset / VERSION_CHUNK_BYTES)]!.toString('latin1', start, start + length);
  }

  #versionLength(record: number): number {
    const chunk = this.#chunk(record);
    const at = recordAt(record);
    return chunk[at + VERSION_LENGTH]!;
  }

  /** Points record `record` at a copy of the version `bytes[start, end)`. */
  #writeVersion(record: number, bytes: Buffer, start: number, end: number): void {
    const chunk = this.#chunk(record);
    const at = recordAt(record);
    const length = end - start;
    const room = VERSION_CHUNK_BYTES - (this.#versionBytes % VERSION_CHUNK_BYTES);
    if (length > room) this.#versionBytes += room;
    const index = Math.floor(this.#versionBytes / VERSION_CHUNK_BYTES);
    if (index === this.#versionChunks.length) this.#versionChunks.push(Buffer.alloc(VERSION_CHUNK_BYTES));
    copyBytes(bytes, start, this.#versionChunks[index]!, this.#versionBytes % VERSION_CHUNK_BYTES, length);
    chunk.writeUInt32LE(this.#versionBytes, at + VERSION_AT);
    chunk[at + VERSION_LENGTH] = length;
    this.#versionBytes += length;
  }

  /** Marks record `record` no longer used: an empty version is never found. */
  #emptyVersion(record: number): void {
    const chunk = this.#chunk(record);
    const at = recordAt(record);
    chunk[at + VERSION_LENGTH] = 0;
  }

  /** Writes the pin's version, commit, time and hashes into `#text` as `load` finds them in a line; false when its version is not short ASCII. */
  #putPinText(pin: Pin): boolean {
    const fields = this.#textFields;
    fields[FIELD_VERSION + 1] = 0;
    if (!this.#putText(0, pin.version, MAX_VERSION_BYTES, FIELD_VERSION)) return false;
    let at = pin.version.length;
    for (
      const [field, value, max] of [[FIELD_COMMIT, pin.commit, 64], [FIELD_TIME, pin.time, 20], [
        FIELD_MOD,
        pin.mod,
        H1_HASH_CHARS,
      ]] as const
    ) {
      // A field that does not fit is written empty: decoding refuses it.
      if (!this.#putText(at, value, max, field)) fields[field + 1] = fields[field] = at;
      at = fields[field + 1]!;
    }
    fields[FIELD_ZIP] = -1;
    if (pin.zip !== undefined && !this.#putText(at, pin.zip, H1_HASH_CHARS, FIELD_ZIP)) {
      fields[FIELD_ZIP + 1] = fields[FIELD_ZIP] = at;
    }
    return true;
  }

  /** Writes `value` at `at` in `#text` as field `field`; false (and nothing marked) when it is longer than `max` or not printable ASCII. */
  #putText(at: number, value: string, max: number, field: number): boolean {
    if (value.length === 0 || value.length > max) return false;
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code < 0x21 || code > 0x7e) return false;
      this.#text[at + i] = code;
    }
    this.#textFields[field] = at;
    this.#textFields[field + 1] = at + value.length;
    return true;
  }

  #decode(record: number): Pin {
    const chunk = this.#chunk(record);
    const at = recordAt(record);
    const flags = chunk[at + FLAGS]!;
    const { project, module } = this.#moduleNames[chunk.readUInt32LE(at + MODULE)]!;
    const version = this.#readVersion(chunk.readUInt32LE(at + VERSION_AT), chunk[at + VERSION_LENGTH]!);
    const commit = chunk.toString('hex', at + COMMIT, at + COMMIT + (flags & SHA256_COMMIT ? 32 : 20));
    const time = timeText(chunk.readDoubleLE(at + TIME));
    const mod = H1 + chunk.toString('base64', at + MOD, at + MOD + 32);
    const pin: Pin = { module, version, project, commit, time, mod };
    return flags & HAS_ZIP ? { ...pin, zip: H1 + chunk.toString('base64', at + ZIP, at + ZIP + 32) } : pin;
  }

  /** The buffer that holds record `record` (`recordAt` says where). */
  #chunk(record: number): Buffer {
    const index = Math.floor(record / RECORDS_PER_CHUNK);
    while (this.#chunks.length <= index) this.#chunks.push(Buffer.alloc(RECORDS_PER_CHUNK * RECORD_BYTES));
    return this.#chunks[index]!;
  }
}

/** Where record `record` is in its buffer. */
function recordAt(record: number): number {
  return (record % RECORDS_PER_CHUNK) * RECORD_BYTES;
}

/** Copies a few bytes (a loop is faster than `Buffer.copy` for so few). */
function copyBytes(from: Buffer, start: number, to: Buffer, at: number, length: number): void {
  for (let i = 0; i < length; i++) to[at + i] = from[start + i]!;
}

/**
 * A string of its own with the text of `part`. V8 makes a regular expression's groups and slices
 * views into the text they came from: a kept module path would keep its whole record line in memory.
 */
export function copyOf(part: string): string {
  return Buffer.from(part, 'utf8').toString('utf8');
}

const FNV_OFFSET = 2166136261;
/** Mixed in between a module's project and path (not a byte, so no two names meet). */
const SEPARATOR = 0x100;

/** One FNV-1a step. */
function mix(hash: number, value: number): number {
  return Math.imul(hash ^ value, 16777619);
}

function mixBytes(hash: number, bytes: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) hash = mix(hash, bytes[i]!);
  return hash;
}

function mixText(hash: number, text: string): number {
  for (let i = 0; i < text.length; i++) hash = mix(hash, text.charCodeAt(i));
  return hash;
}

/** A module's hash, from its names; the same as from a line's bytes when the names are ASCII (`load` only reads ASCII lines). */
function moduleHash(project: string, module: string): number {
  return mix(mixText(mixText(FNV_OFFSET, project), module), SEPARATOR) >>> 1;
}

function versionHash(moduleId: number, bytes: Buffer, start: number, end: number): number {
  return mixBytes(mix(FNV_OFFSET, moduleId), bytes, start, end) >>> 1;
}

/** Whether `text` is the ASCII bytes `bytes[start, end)`. */
function sameText(text: string, bytes: Buffer, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}

/** A field of a line, as a string of its own. */
function text(bytes: Buffer, fields: Int32Array, field: number): string {
  return bytes.toString('latin1', fields[field]!, fields[field + 1]!);
}

/** Any other byte's value in `digitValues`: all bits set, so negative however it is shifted or or-ed. */
const INVALID_DIGIT = -1;
/** Lower-case hex digits' values, `INVALID_DIGIT` for any other byte. */
const HEX_VALUES = digitValues('0123456789abcdef');
/** Base64 digits' values, `INVALID_DIGIT` for any other byte. */
const BASE64_VALUES = digitValues('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');

function digitValues(digits: string): Int32Array {
  const values = new Int32Array(256).fill(INVALID_DIGIT);
  for (let i = 0; i < digits.length; i++) values[digits.charCodeAt(i)] = i;
  return values;
}

/**
 * Decodes a line's fields into the record at `at` of `record` (all but its module and version), checking that each
 * comes back byte for byte from there: the version short printable ASCII, the commit a full
 * lower-case hex id, the time `secondsAt` reads, the hashes canonical `h1:` base64 of 32 bytes.
 * False, with `record` in no useful state, when one does not.
 */
function decodeRecord(bytes: Buffer, fields: Int32Array, record: Buffer, at: number): boolean {
  const [versionStart, versionEnd] = [fields[FIELD_VERSION]!, fields[FIELD_VERSION + 1]!];
  if (versionEnd - versionStart < 1 || versionEnd - versionStart > MAX_VERSION_BYTES) return false;
  for (let i = versionStart; i < versionEnd; i++) if (bytes[i]! < 0x21 || bytes[i]! > 0x7e) return false;
  const commitDigits = fields[FIELD_COMMIT + 1]! - fields[FIELD_COMMIT]!;
  if (
    (commitDigits !== 40 && commitDigits !== 64) ||
    !decodeHex(bytes, fields[FIELD_COMMIT]!, commitDigits, record, at + COMMIT)
  ) return false;
  if (fields[FIELD_TIME + 1]! - fields[FIELD_TIME]! !== 20) return false;
  const seconds = secondsAt(bytes, fields[FIELD_TIME]!);
  if (seconds === undefined || !decodeHash(bytes, fields, FIELD_MOD, record, at + MOD)) return false;
  const hasZip = fields[FIELD_ZIP]! >= 0;
  if (hasZip && !decodeHash(bytes, fields, FIELD_ZIP, record, at + ZIP)) return false;
  record.writeDoubleLE(seconds, at + TIME);
  record[at + FLAGS] = (commitDigits === 64 ? SHA256_COMMIT : 0) | (hasZip ? HAS_ZIP : 0);
  return true;
}

function decodeHex(bytes: Buffer, start: number, digits: number, into: Buffer, at: number): boolean {
  for (let i = 0; i < digits; i += 2) {
    const high = HEX_VALUES[bytes[start + i]!]!;
    const low = HEX_VALUES[bytes[start + i + 1]!]!;
    if (high < 0 || low < 0) return false;
    into[at + i / 2] = (high << 4) | low;
  }
  return true;
}

/** `h1:` and 43 base64 digits and `=`, the last digit's unused two bits zero, into 32 bytes. */
function decodeHash(bytes: Buffer, fields: Int32Array, field: number, into: Buffer, at: number): boolean {
  let start = fields[field]!;
  if (
    fields[field + 1]! - start !== H1_HASH_CHARS || bytes[start] !== 0x68 || bytes[start + 1] !== 0x31 ||
    bytes[start + 2] !== 0x3a || bytes[start + 46] !== 0x3d
  ) return false;
  start += H1.length;
  let bad = 0;
  for (let group = 0; group < 10; group++, start += 4, at += 3) {
    const bits = (base64Digit(bytes, start) << 18) | (base64Digit(bytes, start + 1) << 12) |
      (base64Digit(bytes, start + 2) << 6) | base64Digit(bytes, start + 3);
    bad |= bits;
    into[at] = bits >> 16;
    into[at + 1] = bits >> 8;
    into[at + 2] = bits;
  }
  const last = base64Digit(bytes, start + 2);
  const bits = (base64Digit(bytes, start) << 10) | (base64Digit(bytes, start + 1) << 4) | (last >> 2);
  if ((bad | bits) < 0 || (last & 3) !== 0) return false;
  into[at] = bits >> 8;
  into[at + 1] = bits;
  return true;
}

/** The value of the base64 digit at `at`, or `INVALID_DIGIT`. */
function base64Digit(bytes: Buffer, at: number): number {
  return BASE64_VALUES[bytes[at]!]!;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** The separators of `YYYY-MM-DDTHH:MM:SSZ` by place, 0 where a digit goes. */
const TIME_SEPARATORS = Uint8Array.from(
  Buffer.from('    -  -  T  :  :  Z', 'latin1'),
  (byte) => (byte === 0x20 ? 0 : byte),
);

/**
 * The seconds since the epoch of the 20 bytes at `at`, a time as `.info` writes it (years 1000 to
 * 9999, a real date and time of day), which `timeText` gives back; else undefined.
 */
function secondsAt(bytes: Buffer, at: number): number | undefined {
  for (let i = 0; i < 20; i++) {
    const byte = bytes[at + i]!;
    const separator = TIME_SEPARATORS[i]!;
    if (separator === 0 ? byte < 0x30 || byte > 0x39 : byte !== separator) return undefined;
  }
  const year = decimal(bytes, at, 4);
  const [month, day, hour, minute, second] = [
    decimal(bytes, at + 5, 2),
    decimal(bytes, at + 8, 2),
    decimal(bytes, at + 11, 2),
    decimal(bytes, at + 14, 2),
    decimal(bytes, at + 17, 2),
  ];
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0;
  const valid = year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= DAYS_IN_MONTH[month - 1]! + leap &&
    hour < 24 && minute < 60 && second < 60;
  return valid ? Date.UTC(year, month - 1, day, hour, minute, second) / 1000 : undefined;
}

/** The number the `digits` decimal digits at `at` write. */
function decimal(bytes: Buffer, at: number, digits: number): number {
  let value = 0;
  for (let i = at; i < at + digits; i++) value = value * 10 + bytes[i]! - 0x30;
  return value;
}

/** Seconds since the epoch as `.info` writes a time: RFC 3339 in UTC, whole seconds. */
function timeText(seconds: number): string {
  if (!Number.isFinite(seconds)) return '';
  return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}
