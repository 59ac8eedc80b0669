/**
 * The hand-written path matcher: one left-to-right parse of the request path into a `Route`.
 *
 * Module requests come in three scopes that answer the same protocol:
 *   /<module>/@v/<file>                                        instance-wide (GOPROXY=http://host)
 *   /api/v4/projects/:id/packages/go/<module>/@v/<file>        one project (GitLab's API)
 *   /api/v4/groups/:id/-/packages/go/<module>/@v/<file>        every project below a group
 * and `<file>` is `list`, `<version>.info`, `<version>.mod` or `<version>.zip`; `/<module>/@latest`
 * is the optional latest endpoint. The module path and version arrive percent-encoded (Go 1.19 sends
 * `!` as `%21`) and case-encoded (`!x` for `X`): percent-decode first, then undo the case encoding
 * (`golang.org/x/mod/module/module.go` `unescapeString`). Anything that cannot be decoded is a 400 with the reason.
 *
 * The proxy's own web pages live where no module request can: `/` exactly, and below `/-/` (a module
 * path's first element never starts with `-`): `/-/modules/<module path>[/@v/<version>]`, with the
 * module path and version as they are (percent-encoded, not case-encoded), `/-/files/<module path>/@v/<version>/<file>`
 * (a file of a version's zip), `/-/catalog`, `/-/style.css`.
 */
import { badRequest } from '../common/errors.ts';
import { unescapePath, unescapeVersion } from '../modules/escape.ts';
import { checkModulePath } from '../modules/module-path.ts';
import { goQuote } from '../modules/go-quote.ts';
import type { Scope } from '../access/service.ts';

export type ModuleOp = 'list' | 'latest' | 'info' | 'mod' | 'zip';

/** A request of the GOPROXY protocol, decoded. `version` is set for info, mod and zip. */
export interface ModuleRoute {
  readonly kind: 'module';
  readonly scope: Scope;
  readonly modulePath: string;
  readonly op: ModuleOp;
  /** The decoded version or query (`v1.2.3`, `master`, `abc1234`); empty for list and latest. */
  readonly version: string;
}

/** A web page (pages/pages.ts). */
export type PageRoute =
  | { readonly page: 'home' | 'catalog' | 'style' | 'upstream' }
  | { readonly page: 'module'; readonly modulePath: string }
  | { readonly page: 'version'; readonly modulePath: string; readonly version: string }
  | { readonly page: 'file'; readonly modulePath: string; readonly version: string; readonly path: string };

export type Route =
  | ModuleRoute
  | { readonly kind: 'page'; readonly page: PageRoute }
  /** `/sumdb/<name>/…`; `path` is what follows `/sumdb/`, still percent-encoded. */
  | { readonly kind: 'sumdb'; readonly path: string }
  | { readonly kind: 'health' }
  | { readonly kind: 'ready' }
  | { readonly kind: 'metrics' }
  /** `POST /-/hooks/push`: a push webhook (hooks.ts). */
  | { readonly kind: 'hook' }
  /** A path that is none of ours: `next()` in middleware, 404 otherwise. */
  | { readonly kind: 'other'; readonly path: string };

/** Longest request path we look at; Go module paths are far shorter. */
const MAX_PATH_LENGTH = 2048;

const VERSION_FILES: ReadonlyArray<[suffix: string, op: ModuleOp]> = [
  ['.info', 'info'],
  ['.mod', 'mod'],
  ['.zip', 'zip'],
];

/** Parses the path part of a request URL (no query string). Throws a 400 `ProxyError` on bad input. */
export function parseRoute(rawPath: string): Route {
  if (rawPath.length > MAX_PATH_LENGTH) throw badRequest('path too long');
  if (!rawPath.startsWith('/')) throw badRequest('path must start with /');
  switch (rawPath) {
    case '/-/health':
      return { kind: 'health' };
    case '/-/ready':
      return { kind: 'ready' };
    case '/metrics':
      return { kind: 'metrics' };
    case '/-/hooks/push':
      return { kind: 'hook' };
  }
  if (rawPath.startsWith('/sumdb/')) return { kind: 'sumdb', path: rawPath.slice('/sumdb/'.length) };
  const page = parsePageRoute(rawPath);
  if (page !== undefined) return { kind: 'page', page };
  if (rawPath.startsWith('/api/v4/')) return parseApiRoute(rawPath);
  const instance = parseModuleRequest({ kind: 'instance' }, rawPath.slice(1));
  return instance ?? { kind: 'other', path: rawPath };
}

const FIXED_PAGES: Readonly<Record<string, PageRoute>> = {
  '/': { page: 'home' },
  '/-/catalog': { page: 'catalog' },
  '/-/style.css': { page: 'style' },
  '/-/upstream': { page: 'upstream' },
};
const MODULE_PAGES = '/-/modules/';
const FILES = '/-/files/';

/** `/`, `/-/catalog`, `/-/style.css`, `/-/upstream`, `/-/modules/<module path>` and `/-/modules/<module path>/@v/<version>`. */
function parsePageRoute(rawPath: string): PageRoute | undefined {
  const fixed = FIXED_PAGES[rawPath];
  if (fixed !== undefined) return fixed;
  if (rawPath.startsWith(FILES)) return parseFileRoute(rawPath);
  if (!rawPath.startsWith(MODULE_PAGES)) return undefined;
  const decoded = decodeComponent(rawPath.slice(MODULE_PAGES.length));
  const at = decoded.lastIndexOf('/@v/');
  const modulePath = at < 0 ? decoded : decoded.slice(0, at);
  const reason = checkModulePath(modulePath);
  if (reason !== undefined) throw badRequest(`malformed module path ${goQuote(modulePath)}: ${reason}`);
  if (at < 0) return { page: 'module', modulePath };
  const version = decoded.slice(at + '/@v/'.length);
  if (version === '' || version.includes('/')) throw badRequest(`invalid version ${goQuote(version)}`);
  return { page: 'version', modulePath, version };
}

/** `/-/files/<module path>/@v/<version>/<file path>`: a file of a version's zip, linked from its README. */
function parseFileRoute(rawPath: string): PageRoute {
  const decoded = decodeComponent(rawPath.slice(FILES.length));
  const at = decoded.lastIndexOf('/@v/');
  const modulePath = at < 0 ? decoded : decoded.slice(0, at);
  const reason = checkModulePath(modulePath);
  if (reason !== undefined) throw badRequest(`malformed module path ${goQuote(modulePath)}: ${reason}`);
  const rest = at < 0 ? '' : decoded.slice(at + '/@v/'.length);
  const slash = rest.indexOf('/');
  const [version, path] = slash < 0 ? [rest, ''] : [rest.slice(0, slash), rest.slice(slash + 1)];
  if (version === '' || path === '') throw badRequest('expected /-/files/<module>/@v/<version>/<file>');
  return { page: 'file', modulePath, version, path };
}

/** `/api/v4/projects/:id/packages/go/…` and `/api/v4/groups/:id/-/packages/go/…`. */
function parseApiRoute(rawPath: string): Route {
  const segments = rawPath.split('/'); // ['', 'api', 'v4', 'projects', id, …]
  const [, , , collection, rawId] = segments;
  const tail = collection === 'projects'
    ? ['packages', 'go']
    : collection === 'groups'
    ? ['-', 'packages', 'go']
    : undefined;
  if (tail === undefined || rawId === undefined) return { kind: 'other', path: rawPath };
  const matchesTail = tail.every((segment, i) => segments[5 + i] === segment);
  if (!matchesTail) return { kind: 'other', path: rawPath };
  const id = decodeComponent(rawId);
  if (id === '' || !isSafeId(id)) throw badRequest(`invalid ${collection === 'projects' ? 'project' : 'group'} id`);
  const scope: Scope = collection === 'projects' ? { kind: 'project', id } : { kind: 'group', id };
  const rest = segments.slice(5 + tail.length).join('/');
  const route = parseModuleRequest(scope, rest);
  if (route === undefined) throw badRequest('expected <module>/@v/<file> or <module>/@latest');
  return route;
}

/**
 * `<module>/@v/list`, `<module>/@v/<version>.<ext>` or `<module>/@latest`, still percent-encoded.
 * Returns undefined when the path has neither `/@v/` nor `/@latest` (not a module request).
 */
function parseModuleRequest(scope: Scope, encoded: string): ModuleRoute | undefined {
  const decoded = decodeComponent(encoded);
  if (decoded.endsWith('/@latest')) {
    return {
      kind: 'module',
      scope,
      modulePath: decodeModulePath(decoded.slice(0, -'/@latest'.length)),
      op: 'latest',
      version: '',
    };
  }
  const at = decoded.lastIndexOf('/@v/');
  if (at < 0) return undefined;
  const modulePath = decodeModulePath(decoded.slice(0, at));
  const file = decoded.slice(at + '/@v/'.length);
  if (file === 'list') return { kind: 'module', scope, modulePath, op: 'list', version: '' };
  for (const [suffix, op] of VERSION_FILES) {
    if (file.endsWith(suffix)) {
      return { kind: 'module', scope, modulePath, op, version: decodeVersion(file.slice(0, -suffix.length)) };
    }
  }
  throw badRequest(`unknown file ${goQuote(file)}: expected list, <version>.info, .mod or .zip`);
}

function decodeModulePath(escaped: string): string {
  const path = unescapePath(escaped);
  if (path === undefined) throw badRequest(`invalid escaped module path ${goQuote(escaped)}`);
  const reason = checkModulePath(path);
  if (reason !== undefined) throw badRequest(`malformed module path ${goQuote(path)}: ${reason}`);
  return path;
}

function decodeVersion(escaped: string): string {
  const version = escaped === '' ? undefined : unescapeVersion(escaped);
  if (version === undefined) throw badRequest(`invalid escaped version ${goQuote(escaped)}`);
  return version;
}

/** Percent-decoding that answers 400 instead of throwing URIError (bad `%` or non-UTF-8 bytes). */
function decodeComponent(text: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    throw badRequest('invalid percent-encoding or non-UTF-8 path');
  }
  if (decoded.includes('\0')) throw badRequest('NUL byte in path');
  return decoded;
}

/** A project or group id: a number, or a full path of plain elements (no `..`, no empty element). */
function isSafeId(id: string): boolean {
  if (/^[0-9]+$/.test(id)) return true;
  return id.split('/').every((element) => /^[A-Za-z0-9_.~-]+$/.test(element) && !/^\.+$/.test(element));
}
