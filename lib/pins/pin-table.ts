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
 */
import type { Pin } from './store.ts';

/** Record layout: flags, commit (20 or 32 bytes), time (float64 seconds), mod hash, zip hash, module number, version's place. */
const FLAGS = 0;
const COMMIT = 1;
const TIME = COMMIT + 32;
const MOD = TIME + 8;
const ZIP = MOD + 32;
const MODULE = ZIP + 32;
const VERSION_AT = MODULE + 4;
const VERSION_LENGTH = VERSION_AT + 4;
const RECORD_BYTES = VERSION_LENGTH + 1;
const SHA256_COMMIT = 1;
const HAS_ZIP = 2;
/** Records per buffer: a buffer is about 7.5 MB; growing never copies what is there. */
const RECORDS_PER_CHUNK = 1 << 16;
const MAX_VERSION_BYTES = 255;
const VERSION_CHUNK_BYTES = 1 << 20;
const EMPTY = -1;
const H1 = 'h1:';

interface ModuleName {
  readonly project: string;
  readonly module: string;
  readonly id: number;
}

export class PinTable {
  /** Module key → its number; and by number. */
  readonly #moduleIds = new Map<string, ModuleName>();
  readonly #moduleNames: ModuleName[] = [];
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

  /** Number of pins. */
  get size(): number {
    return this.#records - this.#unused + this.#others.size;
  }

  get(project: string, module: string, version: string): Pin | undefined {
    const other = this.#others.size === 0 ? undefined : this.#others.get(pinKey(project, module, version));
    if (other !== undefined) return other;
    const name = this.#moduleOf(project, module);
    if (name === undefined) return undefined;
    const record = this.#find(name.id, version);
    return record === undefined ? undefined : this.#decode(record);
  }

  /** Adds `pin`, or replaces the pin of its version. */
  set(pin: Pin): void {
    const kept = this.#others.size > 0 && this.#others.has(pinKey(pin.project, pin.module, pin.version));
    const name = this.#moduleOf(pin.project, pin.module) ?? this.#addModule(pin.project, pin.module);
    const existing = kept ? undefined : this.#find(name.id, pin.version);
    if (existing !== undefined && this.#encode(pin, name.id, existing)) return;
    const record = this.#records;
    if (existing === undefined && !kept && isShortAscii(pin.version) && this.#encode(pin, name.id, record)) {
      this.#records++;
      this.#insert(record, slotHash(name.id, pin.version));
      return;
    }
    // Not compact: kept as is; a compact record of the same version is no longer found.
    if (existing !== undefined) {
      this.#writeVersion(existing, '');
      this.#unused++;
    }
    this.#others.set(pinKey(pin.project, pin.module, pin.version), { ...pin });
  }

  /** Every pin, in no particular order. */
  *values(): Generator<Pin> {
    for (let record = 0; record < this.#records; record++) if (this.#versionLength(record) > 0) yield this.#decode(record);
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

  #addModule(project: string, module: string): ModuleName {
    const name = { project: copyOf(project), module: copyOf(module), id: this.#moduleNames.length };
    this.#moduleIds.set(moduleKey(project, module), name);
    this.#moduleNames.push(name);
    this.#lastModule = name;
    return name;
  }

  /** The record of `version` of module `id`, or undefined. */
  #find(id: number, version: string): number | undefined {
    const mask = this.#slots.length - 1;
    for (let slot = slotHash(id, version) & mask; ; slot = (slot + 1) & mask) {
      const record = this.#slots[slot]!;
      if (record === EMPTY) return undefined;
      const [chunk, at] = this.#slot(record);
      if (chunk.readUInt32LE(at + MODULE) === id && this.#versionIs(chunk[at + VERSION_LENGTH]!, chunk.readUInt32LE(at + VERSION_AT), version)) return record;
    }
  }

  /** Puts new record `record` (the last) into the hash table, doubling it first when it would be over half full. */
  #insert(record: number, hash: number): void {
    if (2 * (record + 1) > this.#slots.length) this.#grow(record);
    const mask = this.#slots.length - 1;
    let slot = hash & mask;
    while (this.#slots[slot] !== EMPTY) slot = (slot + 1) & mask;
    this.#slots[slot] = record;
  }

  /** Doubles the hash table, re-placing the records before `end`. */
  #grow(end: number): void {
    this.#slots = new Int32Array(this.#slots.length * 2).fill(EMPTY);
    const mask = this.#slots.length - 1;
    for (let record = 0; record < end; record++) {
      const [chunk, at] = this.#slot(record);
      const version = this.#readVersion(chunk.readUInt32LE(at + VERSION_AT), chunk[at + VERSION_LENGTH]!);
      let slot = slotHash(chunk.readUInt32LE(at + MODULE), version) & mask;
      while (this.#slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      this.#slots[slot] = record;
    }
  }

  #versionIs(length: number, offset: number, version: string): boolean {
    if (length !== version.length) return false;
    const bytes = this.#versionChunks[Math.floor(offset / VERSION_CHUNK_BYTES)]!;
    const start = offset % VERSION_CHUNK_BYTES;
    for (let i = 0; i < length; i++) if (bytes[start + i] !== version.charCodeAt(i)) return false;
    return true;
  }

  #readVersion(offset: number, length: number): string {
    const start = offset % VERSION_CHUNK_BYTES;
    return this.#versionChunks[Math.floor(offset / VERSION_CHUNK_BYTES)]!.toString('latin1', start, start + length);
  }

  #versionLength(record: number): number {
    const [chunk, at] = this.#slot(record);
    return chunk[at + VERSION_LENGTH]!;
  }

  /** Points record `record` at a copy of `version`'s bytes ('' marks a record no longer used). */
  #writeVersion(record: number, version: string): void {
    const [chunk, at] = this.#slot(record);
    const room = VERSION_CHUNK_BYTES - (this.#versionBytes % VERSION_CHUNK_BYTES);
    if (version.length > room) this.#versionBytes += room;
    const index = Math.floor(this.#versionBytes / VERSION_CHUNK_BYTES);
    if (index === this.#versionChunks.length) this.#versionChunks.push(Buffer.alloc(VERSION_CHUNK_BYTES));
    this.#versionChunks[index]!.write(version, this.#versionBytes % VERSION_CHUNK_BYTES, 'latin1');
    chunk.writeUInt32LE(this.#versionBytes, at + VERSION_AT);
    chunk[at + VERSION_LENGTH] = version.length;
    this.#versionBytes += version.length;
  }

  /** Writes `pin` as record `record` (a new one when it is `#records`); false when it does not round-trip. */
  #encode(pin: Pin, moduleId: number, record: number): boolean {
    const seconds = secondsOf(pin.time);
    const fits = seconds !== undefined && isHexId(pin.commit) && isCanonicalHash(pin.mod) && (pin.zip === undefined || isCanonicalHash(pin.zip));
    if (!fits) return false;
    const [chunk, at] = this.#slot(record);
    chunk[at + FLAGS] = (pin.commit.length === 64 ? SHA256_COMMIT : 0) | (pin.zip === undefined ? 0 : HAS_ZIP);
    chunk.write(pin.commit, at + COMMIT, 'hex');
    chunk.writeDoubleLE(seconds, at + TIME);
    chunk.write(pin.mod.slice(H1.length), at + MOD, 'base64');
    if (pin.zip !== undefined) chunk.write(pin.zip.slice(H1.length), at + ZIP, 'base64');
    chunk.writeUInt32LE(moduleId, at + MODULE);
    if (record === this.#records) this.#writeVersion(record, pin.version);
    return true;
  }

  #decode(record: number): Pin {
    const [chunk, at] = this.#slot(record);
    const flags = chunk[at + FLAGS]!;
    const { project, module } = this.#moduleNames[chunk.readUInt32LE(at + MODULE)]!;
    const version = this.#readVersion(chunk.readUInt32LE(at + VERSION_AT), chunk[at + VERSION_LENGTH]!);
    const commit = chunk.toString('hex', at + COMMIT, at + COMMIT + (flags & SHA256_COMMIT ? 32 : 20));
    const time = timeText(chunk.readDoubleLE(at + TIME));
    const mod = H1 + chunk.toString('base64', at + MOD, at + MOD + 32);
    const pin: Pin = { module, version, project, commit, time, mod };
    return flags & HAS_ZIP ? { ...pin, zip: H1 + chunk.toString('base64', at + ZIP, at + ZIP + 32) } : pin;
  }

  #slot(record: number): [Buffer, number] {
    const index = Math.floor(record / RECORDS_PER_CHUNK);
    while (this.#chunks.length <= index) this.#chunks.push(Buffer.alloc(RECORDS_PER_CHUNK * RECORD_BYTES));
    return [this.#chunks[index]!, (record % RECORDS_PER_CHUNK) * RECORD_BYTES];
  }
}

/**
 * A string of its own with the text of `part`. V8 makes a regular expression's groups and slices
 * views into the text they came from: a kept module path would keep its whole record line in memory.
 */
export function copyOf(part: string): string {
  return Buffer.from(part, 'utf8').toString('utf8');
}

/** JSON keys, so no project, module or version text can make two keys meet. */
function moduleKey(project: string, module: string): string {
  return JSON.stringify([project, module]);
}

function pinKey(project: string, module: string, version: string): string {
  return JSON.stringify([project, module, version]);
}

/** FNV-1a of a module number and a version. */
function slotHash(moduleId: number, version: string): number {
  let hash = Math.imul(2166136261 ^ moduleId, 16777619);
  for (let i = 0; i < version.length; i++) hash = Math.imul(hash ^ version.charCodeAt(i), 16777619);
  return hash >>> 1;
}

const HEX_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const H1_HASH = /^h1:[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
const SHORT_ASCII = new RegExp(`^[\\x21-\\x7e]{1,${MAX_VERSION_BYTES}}$`);

/** A full object id in lower-case hex: its bytes give it back. */
function isHexId(commit: string): boolean {
  return HEX_ID.test(commit);
}

/** An `h1:` hash of 32 bytes in canonical base64 (the last digit's unused bits zero): its bytes give it back. */
function isCanonicalHash(hash: string): boolean {
  return H1_HASH.test(hash);
}

/** A version whose bytes are its characters and whose length fits a byte. */
function isShortAscii(version: string): boolean {
  return SHORT_ASCII.test(version);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** Where the digits of `YYYY-MM-DDTHH:MM:SSZ` are, and the separators between them. */
const TIME_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
const TIME_SEPARATORS: ReadonlyArray<[number, string]> = [[4, '-'], [7, '-'], [10, 'T'], [13, ':'], [16, ':'], [19, 'Z']];

/**
 * The seconds since the epoch of a time as `.info` writes it (years 1000 to 9999, a real date and
 * time of day), which `timeText` gives back; else undefined. Read digit by digit: a record loads
 * a million of them.
 */
function secondsOf(time: string): number | undefined {
  if (time.length !== 20 || TIME_SEPARATORS.some(([at, char]) => time[at] !== char)) return undefined;
  if (TIME_DIGITS.some((at) => time.charCodeAt(at) < 48 || time.charCodeAt(at) > 57)) return undefined;
  const number = (at: number, digits: number) => {
    let value = 0;
    for (let i = at; i < at + digits; i++) value = value * 10 + time.charCodeAt(i) - 48;
    return value;
  };
  const [year, month, day, hour, minute, second] = [number(0, 4), number(5, 2), number(8, 2), number(11, 2), number(14, 2), number(17, 2)];
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0;
  const valid = year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= DAYS_IN_MONTH[month - 1]! + leap && hour < 24 && minute < 60 && second < 60;
  return valid ? Date.UTC(year, month - 1, day, hour, minute, second) / 1000 : undefined;
}

/** Seconds since the epoch as `.info` writes a time: RFC 3339 in UTC, whole seconds. */
function timeText(seconds: number): string {
  if (!Number.isFinite(seconds)) return '';
  return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}
