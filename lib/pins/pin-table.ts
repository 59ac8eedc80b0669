/**
 * The file pin store's pins in memory, compact: a million pins in about 200 MB instead of a
 * gigabyte of objects and strings.
 *
 * Pins are grouped by (project, module), so those two strings are kept once per module, not once per
 * pin. What a pin says beyond its version — commit, time and two `h1:` hashes — goes into a fixed-size
 * binary record in large shared buffers: the commit's bytes, the time as seconds, the hashes' 32
 * bytes each. A pin whose fields would not come back byte for byte from that form (a hash with
 * non-canonical base64, an impossible date) is kept as it is, as an object.
 */
import type { Pin } from './store.ts';

/** Record layout: flags, commit (20 or 32 bytes), time (float64 seconds), mod hash, zip hash. */
const FLAGS = 0;
const COMMIT = 1;
const TIME = COMMIT + 32;
const MOD = TIME + 8;
const ZIP = MOD + 32;
const RECORD_BYTES = ZIP + 32;
const SHA256_COMMIT = 1;
const HAS_ZIP = 2;
/** Records per buffer: a buffer is about 6.6 MB; growing never copies what is there. */
const RECORDS_PER_CHUNK = 1 << 16;
const H1 = 'h1:';

/** The pins of one project's module: each version's record number, or the pin itself when it is not compact. */
interface ModulePins {
  readonly project: string;
  readonly module: string;
  readonly versions: Map<string, number | Pin>;
}

export class PinTable {
  /** Project → module → its pins. */
  readonly #modules = new Map<string, Map<string, ModulePins>>();
  readonly #chunks: Buffer[] = [];
  #records = 0;
  #size = 0;

  /** Number of pins. */
  get size(): number {
    return this.#size;
  }

  get(project: string, module: string, version: string): Pin | undefined {
    const entry = this.#modules.get(project)?.get(module)?.versions.get(version);
    if (entry === undefined || typeof entry === 'object') return entry;
    return this.#decode(project, module, version, entry);
  }

  /** Adds `pin`, or replaces the pin of its version. */
  set(pin: Pin): void {
    let modules = this.#modules.get(pin.project);
    if (modules === undefined) this.#modules.set(pin.project, (modules = new Map()));
    let pins = modules.get(pin.module);
    if (pins === undefined) modules.set(pin.module, (pins = { project: pin.project, module: pin.module, versions: new Map() }));
    const existing = pins.versions.get(pin.version);
    if (existing === undefined) this.#size++;
    const record = typeof existing === 'number' ? existing : this.#records;
    if (this.#encode(pin, record)) {
      if (record === this.#records) this.#records++;
      pins.versions.set(pin.version, record);
    } else {
      pins.versions.set(pin.version, { ...pin });
    }
  }

  /** Every pin, in no particular order. */
  *values(): Generator<Pin> {
    for (const modules of this.#modules.values()) {
      for (const { project, module, versions } of modules.values()) {
        for (const [version, entry] of versions) yield typeof entry === 'object' ? entry : this.#decode(project, module, version, entry);
      }
    }
  }

  /** Writes `pin` as record `record` (growing the table when it is a new one); false when it does not round-trip. */
  #encode(pin: Pin, record: number): boolean {
    const seconds = Date.parse(pin.time) / 1000;
    const fits = isHexId(pin.commit) && timeText(seconds) === pin.time && isCanonicalHash(pin.mod) && (pin.zip === undefined || isCanonicalHash(pin.zip));
    if (!fits) return false;
    const [chunk, at] = this.#slot(record);
    chunk[at + FLAGS] = (pin.commit.length === 64 ? SHA256_COMMIT : 0) | (pin.zip === undefined ? 0 : HAS_ZIP);
    chunk.write(pin.commit, at + COMMIT, 'hex');
    chunk.writeDoubleLE(seconds, at + TIME);
    chunk.write(pin.mod.slice(H1.length), at + MOD, 'base64');
    if (pin.zip !== undefined) chunk.write(pin.zip.slice(H1.length), at + ZIP, 'base64');
    return true;
  }

  #decode(project: string, module: string, version: string, record: number): Pin {
    const [chunk, at] = this.#slot(record);
    const flags = chunk[at + FLAGS]!;
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

const HEX_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const H1_HASH = /^h1:[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** A full object id in lower-case hex: its bytes give it back. */
function isHexId(commit: string): boolean {
  return HEX_ID.test(commit);
}

/** An `h1:` hash of 32 bytes in canonical base64 (the last digit's unused bits zero): its bytes give it back. */
function isCanonicalHash(hash: string): boolean {
  return H1_HASH.test(hash);
}

/** Seconds since the epoch as `.info` writes a time: RFC 3339 in UTC, whole seconds. */
function timeText(seconds: number): string {
  if (!Number.isFinite(seconds)) return '';
  return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}
