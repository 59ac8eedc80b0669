/**
 * The code blocks of a Markdown file, and which of them are marked runnable.
 *
 * A block is runnable when the line right before its opening fence is an HTML comment (which GitHub
 * does not render): `<!-- runnable -->` runs it to its end, `<!-- runnable: server -->` starts it and
 * keeps it running for the blocks after it, `<!-- runnable: file NAME -->` writes it to NAME. A server
 * marker may add `GOPROXY=URL`: once it listens, a module must download through that URL. Inside a
 * block, a comment line of `#` or `//` and three or more spaces is output the block prints (`…` for
 * any text), as the README shows it to the reader.
 */

/** What a runnable marker asks for. */
export type RunMode =
  | { readonly kind: 'run' }
  | { readonly kind: 'server'; readonly goproxy?: string }
  | { readonly kind: 'file'; readonly name: string };

export interface CodeBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The info string's first word (`sh`, `js`…), or '' for none. */
  readonly lang: string;
  /** The lines between the fences, each ending with a newline. */
  readonly text: string;
  /** The heading the block is under. */
  readonly section: string;
  readonly run?: RunMode;
}

const MARKER = /^<!--\s*runnable(?::\s*(.*?))?\s*-->$/;
const FENCE = /^```(.*)$/;

/** The code blocks of `markdown`; throws on a marker that is malformed or not right before a fence. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  let section = '';
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    if (line.startsWith('#')) section = line.replace(/^#+\s*/, '');
    const marker = MARKER.exec(line);
    if (marker !== null && !FENCE.test(lines[index + 1] ?? '')) {
      throw new Error(`line ${index + 1}: a runnable marker must be right before a code block`);
    }
    const fence = FENCE.exec(line);
    if (fence === null) continue;
    const end = lines.findIndex((candidate, at) => at > index && candidate === '```');
    if (end === -1) throw new Error(`line ${index + 1}: code block without its closing fence`);
    const previous = index > 0 ? MARKER.exec(lines[index - 1]) : null;
    blocks.push({
      line: index + 1,
      lang: fence[1].trim().split(/\s+/)[0] ?? '',
      text: lines.slice(index + 1, end).map((text) => `${text}\n`).join(''),
      section,
      ...(previous === null ? {} : { run: runMode(previous[1] ?? '', index) }),
    });
    index = end;
  }
  return blocks;
}

function runMode(options: string, index: number): RunMode {
  const words = options.split(/\s+/).filter((word) => word !== '');
  const malformed = (): never => {
    throw new Error(
      `line ${index}: runnable marker ${
        JSON.stringify(options)
      }: expected nothing, "server [GOPROXY=URL]" or "file NAME"`,
    );
  };
  if (words.length === 0) return { kind: 'run' };
  if (words[0] === 'file') return words.length === 2 ? { kind: 'file', name: words[1] } : malformed();
  if (words[0] !== 'server' || words.length > 2) return malformed();
  if (words.length === 1) return { kind: 'server' };
  const goproxy = /^GOPROXY=(\S+)$/.exec(words[1]);
  return goproxy === null ? malformed() : { kind: 'server', goproxy: goproxy[1] };
}

/** The output lines a block's comments promise (in its `text`), as patterns over one whole output line each. */
export function promisedOutput(text: string): RegExp[] {
  const promised: RegExp[] = [];
  for (const line of text.split('\n')) {
    const comment = /^(?:#|\/\/) {3,}(.*)$/.exec(line);
    if (comment === null) continue;
    const pattern = comment[1].split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    promised.push(new RegExp(`^${pattern}$`, 'm'));
  }
  return promised;
}
