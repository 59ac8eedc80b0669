/**
 * What the proxy reads of a go.mod with the go command's lax parser (`modfile.ParseLax`, the one it
 * uses for a dependency's go.mod): the `go` directive (for the zip's vendor rule) and the `retract`
 * directives with their rationale, in one pass of the lexer (gomod.ts `lexLine`). A quoted string
 * left open fails the whole file, which then has neither.
 *
 * A go.mod may be 16 MiB, and lexing one takes about half a second: `laxGoMod` reads a blob once
 * (kept in a `WeakMap` on its bytes, as gomod.ts keeps the module path) and in slices, the event loop free between them,
 * so neither a request for it nor anyone else's waits behind the whole file.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { laxGoVersion, lexLine } from './gomod.ts';
import { parseInterval, type VersionInterval } from './retract.ts';

/** A go.mod's `go` version and retractions, as ParseLax reads them. */
export interface LaxGoMod {
  /**
   * The argument of the one `go` line, when it matches `GoVersionRE` (`1.24`, `1.24.3`, `1.24rc1`)
   * or, cut down to major.minor, the lax form (`1.24-custom`, `v1.24x`). Undefined when there is no
   * such line, it is repeated, has other than one argument, or is not a version, or the file does
   * not lex. (Other errors that make ParseLax fail are not looked for here.)
   */
  readonly goVersion: string | undefined;
  /** Every `retract` interval, in file order; none when the file does not lex. */
  readonly retractions: readonly VersionInterval[];
}

/** Bytes decoded and lexed in one turn of the event loop (a few milliseconds). */
const SLICE = 64 * 1024;

const read = new WeakMap<Uint8Array, Promise<LaxGoMod>>();

/** `LaxGoMod` of a go.mod's bytes: read once per blob, in slices. */
export function laxGoMod(goMod: Uint8Array): Promise<LaxGoMod> {
  let lax = read.get(goMod);
  if (lax === undefined) {
    lax = readInSlices(goMod);
    read.set(goMod, lax);
  }
  return lax;
}

/** `LaxGoMod` of a go.mod's text, all at once: for small files. */
export function readLax(goMod: string): LaxGoMod {
  const reader = new LaxReader();
  forEachLine(goMod, (line) => reader.line(line));
  return reader.result();
}

/** The `go` directive's version (see `LaxGoMod.goVersion`). */
export function goDirective(goMod: string): string | undefined {
  return readLax(goMod).goVersion;
}

/** The intervals of every `retract` directive (see `LaxGoMod.retractions`). */
export function retractions(goMod: string): VersionInterval[] {
  return [...readLax(goMod).retractions];
}

/** Decodes and lexes `SLICE` bytes at a time, a line cut by a slice's end carried over to the next. */
async function readInSlices(goMod: Uint8Array): Promise<LaxGoMod> {
  const reader = new LaxReader();
  const decoder = new TextDecoder();
  let carried = '';
  for (let start = 0; start < goMod.length; start += SLICE) {
    if (start > 0) await nextTurn();
    const text = carried + decoder.decode(goMod.subarray(start, start + SLICE), { stream: true });
    const lastNewline = text.lastIndexOf('\n');
    carried = text.slice(lastNewline + 1);
    if (lastNewline >= 0 && !forEachLine(text.slice(0, lastNewline), (line) => reader.line(line))) {
      return reader.result();
    }
  }
  reader.line(carried + decoder.decode());
  return reader.result();
}

/** Calls `onLine` for each line of `text` until it answers false; whether every line was read. */
function forEachLine(text: string, onLine: (line: string) => boolean): boolean {
  for (let start = 0; start <= text.length;) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    if (!onLine(text.slice(start, end))) return false;
    start = end + 1;
  }
  return true;
}

/** ParseLax over lines fed one at a time. */
class LaxReader {
  #goLines = 0;
  #goArguments: string[] = [];
  readonly #retractions: VersionInterval[] = [];
  /** Inside `retract ( … )`: the block's own comment, which its lines without one of their own take. */
  #block: string[] | undefined;
  /** The comment lines since the last line with tokens. */
  #before: string[] = [];
  #broken = false;

  /** Reads one line; false once the file fails to lex (nothing after matters). */
  line(line: string): boolean {
    const lexed = lexLine(line);
    if (lexed === undefined) {
      this.#broken = true;
      return false;
    }
    const { tokens, comment } = lexed;
    if (tokens.length === 0) {
      if (comment !== undefined) this.#before.push(comment);
      return true;
    }
    const own = comment === undefined ? this.#before : [...this.#before, comment];
    this.#before = [];
    if (tokens[0] === 'go') {
      this.#goLines++;
      this.#goArguments = tokens.slice(1);
    }
    if (this.#block !== undefined) {
      if (tokens.length === 1 && tokens[0] === ')') this.#block = undefined;
      else this.#retract(tokens, own.length > 0 ? own : this.#block);
    } else if (tokens[0] === 'retract') {
      if (tokens.length === 2 && tokens[1] === '(') this.#block = own;
      else this.#retract(tokens.slice(1), own);
    }
    return true;
  }

  #retract(tokens: readonly string[], comments: readonly string[]): void {
    const interval = parseInterval(tokens);
    if (interval === undefined) return;
    const rationale = comments.filter((text) => text !== '').join('\n');
    this.#retractions.push(rationale === '' ? interval : { ...interval, rationale });
  }

  result(): LaxGoMod {
    if (this.#broken) return { goVersion: undefined, retractions: [] };
    const args = this.#goLines === 1 ? this.#goArguments : [];
    return { goVersion: args.length === 1 ? laxGoVersion(args[0]!) : undefined, retractions: this.#retractions };
  }
}
