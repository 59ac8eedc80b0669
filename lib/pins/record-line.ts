/**
 * One line of the pin record (`pins.jsonl`, file-store.ts; also what `pins export` writes and
 * `pins import` reads): a pin as a JSON object with its keys in a fixed order,
 *
 *     {"module":"go.example.com/a/b","version":"v1.0.0","project":"a/b","commit":"…","time":"2020-01-02T03:04:05Z","mod":"h1:…","zip":"h1:…"}
 *
 * `zip` only once the zip has been served; a line written before pins named their project has no
 * `project`. Every line starts with `{"module":`, which is how a torn fragment of a crashed append
 * is told from the record that follows it.
 *
 * A line as `pinLine` writes it with no escapes in its strings is a plain line: read from its bytes
 * without a string or `JSON.parse` (`scanPlainLine`, with the `FIELD_*` positions that
 * `PinTable.load` decodes), so a million lines load in seconds. Any other line is parsed as JSON.
 */
import { assertPinFields, type Pin, UNOWNED } from './store.ts';

/**
 * Where a record line's fields are in its bytes: the start and end of each, in this order (a
 * zip's start is -1 when the line has none). Filled by the caller of `PinTable.load`.
 */
export const FIELD_MODULE = 0;
export const FIELD_VERSION = 2;
export const FIELD_PROJECT = 4;
export const FIELD_COMMIT = 6;
export const FIELD_TIME = 8;
export const FIELD_MOD = 10;
export const FIELD_ZIP = 12;
export const FIELD_COUNT = 14;

/** How every record line starts (`pinLine` fixes the key order); module paths cannot contain `{` or `"`. */
const RECORD_START = '{"module":';

/**
 * A line as `pinLine` writes it, with no escapes in its strings: read without `JSON.parse` (a
 * million lines load in seconds). Any other line goes through `JSON.parse`.
 */
const PLAIN_LINE = new RegExp(
  '^\\{"module":"(S)","version":"(S)","project":"(S)","commit":"(S)","time":"(S)","mod":"(S)"(?:,"zip":"(S)")?\\}$'
    .replaceAll('S', '[^"\\\\\\x00-\\x1f]*'),
);

/** What comes before each field of a plain line, in the order `PinTable.load` numbers them, then before the zip and after the last field. */
const PLAIN_KEYS = ['{"module":"', '","version":"', '","project":"', '","commit":"', '","time":"', '","mod":"'].map((
  key,
) => Buffer.from(key, 'latin1'));
const ZIP_KEY = Buffer.from('","zip":"', 'latin1');
const LINE_END = Buffer.from('"}', 'latin1');

/** Receives one-line warnings about the record. */
export type PinWarning = (message: string) => void;

/** A pin as one line of the record (without the newline), keys in a fixed order: also what `pins export` writes. */
export function pinLine(pin: Pin): string {
  const { module, version, project, commit, time, mod, zip } = pin;
  return JSON.stringify(
    zip === undefined
      ? { module, version, project, commit, time, mod }
      : { module, version, project, commit, time, mod, zip },
  );
}

/**
 * A record line (also what `pins import` reads). A line that holds a torn fragment followed by a whole record (the next append
 * after a crash) gives that record, with a warning. A line without `project` is `UNOWNED`.
 */
export function parseLine(line: string, where: string, warn: PinWarning): Pin {
  const start = line.lastIndexOf(RECORD_START);
  const parsed = start < 0
    ? undefined
    : plainLine(start === 0 ? line : line.slice(start)) ?? tryParse(line.slice(start));
  if (parsed === undefined) throw new Error(`${where}: not a pin record`);
  if (start > 0) warn(`${where}: dropped a torn fragment of an earlier append (a crash during a write)`);
  const pin: Pin = parsed.project === undefined ? { ...parsed, project: UNOWNED } : (parsed as Pin);
  try {
    assertPinFields(pin);
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`);
  }
  return pin;
}

/**
 * Where the line from `start` ends (its newline) if it is one `pinLine` writes, in printable ASCII
 * with no escapes (what `PLAIN_LINE` matches, less anything outside ASCII), else -1; `fields` then
 * says where its fields are. Read byte by byte, with no string made: a record loads a million
 * lines. The fields `PinTable.load` decodes (commit, time, hashes) are taken at the only lengths it
 * accepts, up to a quote; it checks their bytes, and a line it refuses goes the long way.
 */
export function scanPlainLine(bytes: Buffer, start: number, fields: Int32Array): number {
  const limit = bytes.length;
  let at = start;
  for (let key = 0; key < PLAIN_KEYS.length; key++) {
    at = afterKey(bytes, at, limit, PLAIN_KEYS[key]!);
    if (at < 0) return -1;
    fields[2 * key] = at;
    at = key === 3
      ? fixedEnd(bytes, at, 40, 64)
      : key === 4
      ? fixedEnd(bytes, at, 20, 20)
      : key === 5
      ? fixedEnd(bytes, at, 47, 47)
      : fieldEnd(bytes, at, limit);
    if (at < 0) return -1;
    fields[2 * key + 1] = at;
  }
  fields[FIELD_ZIP] = fields[FIELD_ZIP + 1] = -1;
  if (bytes[at + 1] === 0x2c) {
    at = afterKey(bytes, at, limit, ZIP_KEY);
    if (at < 0) return -1;
    fields[FIELD_ZIP] = at;
    at = fixedEnd(bytes, at, 47, 47);
    fields[FIELD_ZIP + 1] = at;
    if (at < 0) return -1;
  }
  at = afterKey(bytes, at, limit, LINE_END);
  return at >= 0 && bytes[at] === 0x0a ? at : -1;
}

/** Where a field of `length` or `otherLength` bytes from `at` ends (a quote follows it), else -1. */
function fixedEnd(bytes: Buffer, at: number, length: number, otherLength: number): number {
  if (bytes[at + length] === 0x22) return at + length;
  return bytes[at + otherLength] === 0x22 ? at + otherLength : -1;
}

/** Where `key` ends if the bytes at `at` are it, else -1. */
function afterKey(bytes: Buffer, at: number, end: number, key: Buffer): number {
  if (at + key.length > end) return -1;
  for (let i = 0; i < key.length; i++) if (bytes[at + i] !== key[i]) return -1;
  return at + key.length;
}

/** Where the string field from `at` ends (its closing quote), or -1 at an escape, a byte outside printable ASCII or the end of the line. */
function fieldEnd(bytes: Buffer, at: number, end: number): number {
  for (; at < end; at++) {
    const byte = bytes[at]!;
    if (byte === 0x22) return at;
    if (byte < 0x20 || byte === 0x5c || byte > 0x7e) return -1;
  }
  return -1;
}

/**
 * Whether `bytes[start, end)` is a pseudo-version of the form most pins have,
 * `vN.0.0-yyyymmddhhmmss-rev` (N without leading zeros, the time without a leading zero, rev
 * alphanumeric): `isPseudoVersion` of it is true, known without making it a string. False says
 * nothing: the caller asks `isPseudoVersion`.
 */
export function isPlainPseudoVersion(bytes: Buffer, start: number, end: number): boolean {
  let at = start + 1;
  if (bytes[start] !== 0x76 || !isDigit(bytes[at])) return false;
  if (bytes[at] === 0x30) at++;
  else while (isDigit(bytes[at]) && at < end) at++;
  if (afterKey(bytes, at, end, PSEUDO_ZEROS) < 0) return false;
  at += PSEUDO_ZEROS.length;
  if (at + 16 > end || bytes[at] === 0x30 || bytes[at + 14] !== 0x2d) return false;
  for (let i = at; i < at + 14; i++) if (!isDigit(bytes[i])) return false;
  const rev = at + 15;
  if (rev === end) return false;
  let letters = 0;
  for (let i = rev; i < end; i++) {
    const byte = bytes[i]!;
    if (!isDigit(byte) && !((byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a))) return false;
    if (!isDigit(byte)) letters++;
  }
  // A numeric revision must not start with 0 (semver), unless it is 0.
  return letters > 0 || bytes[rev] !== 0x30 || end - rev === 1;
}

const PSEUDO_ZEROS = Buffer.from('.0.0-', 'latin1');

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

/** The pin of a line as `pinLine` writes it with no escapes in it, else undefined. */
function plainLine(text: string): Pin | undefined {
  const match = PLAIN_LINE.exec(text);
  if (match === null) return undefined;
  const [, module, version, project, commit, time, mod, zip] = match as unknown as string[];
  const pin = { module, version, project, commit, time, mod } as Pin;
  return zip === undefined ? pin : { ...pin, zip };
}

function tryParse(text: string): (Omit<Pin, 'project'> & { project?: string }) | undefined {
  try {
    return JSON.parse(text) as Pin;
  } catch {
    return undefined;
  }
}
