/**
 * A module's README as a page shows it: the file pkgsite would pick, and for Markdown, HTML made by
 * markdown-it (CommonMark, with GitHub's tables, strikethrough and autolinks) with no raw HTML at
 * all (it is shown as text), and links only to `http:`, `https:`, `mailto:`, anchors and the
 * module's own files: `javascript:`, `data:` and every other scheme are dropped. A relative link or
 * image is resolved against the README's directory; one that names a file of the version's zip
 * points at that file (`FILE_LINK`, which the page turns into the proxy's URL for it, read access
 * checked there), anything else is shown as its text. An image from elsewhere, which the pages'
 * Content-Security-Policy would not load, is a link.
 */
import MarkdownIt, { type Token } from 'markdown-it';
import { posix } from 'node:path';

/** A README, ready for a page. */
export interface Readme {
  /** Its path relative to the module root. */
  readonly path: string;
  /** Markup (safe as it is), links to the module's files written `FILE_LINK<path>`. */
  readonly html: string;
}

/** What a rendered README's links to the module's own files start with, before a page replaces it. */
export const FILE_LINK = 'goproxy-file:';

/** Largest README rendered; a larger one is linked to. */
export const MAX_README_BYTES = 256 * 1024;

const MARKDOWN = /\.(?:md|markdown|mdown|mkdn)$/i;
const SAFE_SCHEME = /^(?:https?:|mailto:)/i;
const ANY_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * The README pkgsite shows of a directory's files (names only): a name that is `README` in any case
 * once its extension is dropped, not a `.go` file; a Markdown one first, then the shortest name.
 */
export function pickReadme(names: readonly string[]): string | undefined {
  const readmes = names.filter((name) => {
    const ext = posix.extname(name);
    return name.slice(0, name.length - ext.length).toUpperCase() === 'README' && ext !== '.go' && ext !== '.vendor';
  });
  const rank = (name: string) => (MARKDOWN.test(name) ? 0 : 1);
  return readmes.sort((a, b) => rank(a) - rank(b) || a.length - b.length || (a < b ? -1 : 1))[0];
}

const markdown = MarkdownIt({ html: false, linkify: true, typographer: false });
// Only these reach a page: anything else is not a link (a `data:` image included).
markdown.validateLink = (url) => !ANY_SCHEME.test(url.trim()) || SAFE_SCHEME.test(url.trim());
// A wide table scrolls in a box of its own, not the page.
markdown.renderer.rules.table_open = () => '<div class="scroll"><table>\n';
markdown.renderer.rules.table_close = () => '</table></div>\n';

/**
 * The README at `path` (relative to the module root) rendered: Markdown by its extension, any
 * other as preformatted text. `isFile` says whether a path is a file of the version's zip.
 */
export function renderReadme(path: string, text: string, isFile: (path: string) => boolean): Readme {
  if (!MARKDOWN.test(path)) return { path, html: `<pre class="readme-text">${markdown.utils.escapeHtml(text)}</pre>` };
  const tokens = markdown.parse(text, {});
  resolveLinks(tokens, posix.dirname(path), isFile);
  return { path, html: markdown.renderer.render(tokens, markdown.options, {}) };
}

/** Rewrites every link and image of the token tree (see the file's comment). */
function resolveLinks(tokens: Token[], dir: string, isFile: (path: string) => boolean): void {
  for (const token of tokens) {
    if (token.children !== null) token.children = resolveInline(token.children, dir, isFile);
  }
}

/** An inline token list with its links and images resolved (a new array: a README may hold 100,000 tokens in one paragraph). */
function resolveInline(tokens: Token[], dir: string, isFile: (path: string) => boolean): Token[] {
  /** For each open link, whether it was dropped (its close is then dropped too). */
  const open: boolean[] = [];
  return tokens.flatMap((token) => {
    if (token.type === 'link_open') {
      const href = target(String(token.attrGet('href') ?? ''), dir, isFile);
      if (href === undefined) dropTag(token);
      else token.attrSet('href', href);
      open.push(href === undefined);
    } else if (token.type === 'link_close') {
      if (open.pop() === true) dropTag(token);
    } else if (token.type === 'image') {
      return imageOrLink(token, dir, isFile);
    }
    return [token];
  });
}

/** Where a link goes: kept as it is, to a file of the zip, or undefined (shown as text). */
function target(href: string, dir: string, isFile: (path: string) => boolean): string | undefined {
  if (href.startsWith('#') || SAFE_SCHEME.test(href)) return href;
  if (ANY_SCHEME.test(href) || href.startsWith('//')) return undefined;
  const path = resolvedPath(href, dir);
  return path !== undefined && isFile(path) ? FILE_LINK + path.split('/').map(encodeURIComponent).join('/') : undefined;
}

/** A relative reference's path in the module (no query or fragment), or undefined when it leaves the module. */
function resolvedPath(href: string, dir: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(href.split(/[?#]/, 1)[0]!);
  } catch {
    return undefined;
  }
  if (path === '') return undefined;
  const joined = path.startsWith('/') ? posix.normalize(path.slice(1)) : posix.join(dir, path);
  return joined === '.' || joined.startsWith('../') || joined === '..' ? undefined : joined;
}

/** An image of the module's own files stays an image; one from elsewhere becomes a link to it, or its text. */
function imageOrLink(image: Token, dir: string, isFile: (path: string) => boolean): Token[] {
  const src = String(image.attrGet('src') ?? '');
  const local = !SAFE_SCHEME.test(src) && !ANY_SCHEME.test(src) && !src.startsWith('//');
  const href = target(src, dir, isFile);
  if (local && href !== undefined) {
    image.attrSet('src', href);
    return [image];
  }
  const Token = image.constructor as new (type: string, tag: string, nesting: -1 | 0 | 1) => Token;
  const text = new Token('text', '', 0);
  text.content = image.content;
  if (href === undefined) return [text];
  const open = new Token('link_open', 'a', 1);
  open.attrSet('href', href);
  return [open, text, new Token('link_close', 'a', -1)];
}

/** Makes a link's tag render as nothing, its content staying. */
function dropTag(token: Token): void {
  token.type = 'text';
  token.tag = '';
  token.content = '';
  token.attrs = null;
}
