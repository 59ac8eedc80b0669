/**
 * Who a page is for and where its links point: every URL of the web pages and of the protocol
 * files they link to, below the proxy's `basePath`.
 */
import type { Caller } from '../../access/auth.ts';
import { escapePath, escapeVersion } from '../../modules/escape.ts';

/** A page request, decoded: the caller, the mount point, the query, and this proxy's URL as the client sees it. */
export interface PageRequest {
  readonly caller: Caller;
  /** `basePath`: `''` or `/goproxy`. */
  readonly base: string;
  readonly query: URLSearchParams;
  /** `https://host[:port][basePath]` from the request's Host and scheme; undefined without a usable Host. */
  readonly proxyUrl: string | undefined;
  /** The host name (no port) the client reached, for `.netrc`; undefined without a usable Host. */
  readonly hostName: string | undefined;
}

export const homeUrl = (request: PageRequest): string => `${request.base}/`;
export const loginUrl = (request: PageRequest): string => `${request.base}/?login=1`;
export const styleUrl = (request: PageRequest): string => `${request.base}/-/style.css`;
export const catalogUrl = (request: PageRequest): string => `${request.base}/-/catalog`;
export const upstreamUrl = (request: PageRequest): string => `${request.base}/-/upstream`;

/** `/-/modules/<module path>`, each element percent-encoded. */
export function moduleUrl(request: PageRequest, modulePath: string): string {
  return `${request.base}/-/modules/${modulePath.split('/').map(encodeURIComponent).join('/')}`;
}

export function versionUrl(request: PageRequest, modulePath: string, version: string): string {
  return `${moduleUrl(request, modulePath)}/@v/${encodeURIComponent(version)}`;
}

/** A protocol file of a version (`info`, `mod`, `zip`), as the go command would ask for it. */
export function protocolFileUrl(
  request: PageRequest,
  modulePath: string,
  version: string,
  ext: 'info' | 'mod' | 'zip',
): string {
  return `${request.base}/${escapePath(modulePath)}/@v/${encodeURIComponent(escapeVersion(version) ?? version)}.${ext}`;
}

/** `/-/files/<module path>/@v/<version>/<path>`: a file of a version's zip (with `path` empty: the prefix of them all). */
export function fileUrl(request: PageRequest, modulePath: string, version: string, path: string): string {
  const module = modulePath.split('/').map(encodeURIComponent).join('/');
  return `${request.base}/-/files/${module}/@v/${encodeURIComponent(version)}/${
    path.split('/').map(encodeURIComponent).join('/')
  }`;
}
