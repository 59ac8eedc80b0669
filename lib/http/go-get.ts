/**
 * `GET /<import path>?go-get=1`: the HTML page whose `go-import` meta tag sends the go command to
 * this proxy with the `mod` protocol (Go 1.19 `cmd/go/internal/modfetch/repo.go` `lookupDirect`,
 * `cmd/go/internal/vcs/vcs.go` `parseMetaGoImports`). A client that fetches a GOPRIVATE path
 * directly, with no GOPROXY change, then reads the module through `<root> mod <this proxy>`.
 *
 * The root is the module path of the project that owns the import path (the longest matching
 * module path), found as the instance-wide endpoint finds it. When the caller may not read that
 * project they get what a path without a project gets (no page), never a readable parent's page.
 */
import type { IncomingMessage } from 'node:http';
import type { ProxyService } from '../access/service.ts';
import type { Caller } from '../access/auth.ts';
import { escapeHtml } from './html.ts';
import { UNCACHEABLE } from './respond.ts';

/**
 * The `Cache-Control` of every go-get answer, page or 404: it depends on the caller's credentials,
 * the `Host` and the scheme, so no shared cache may keep it and hand it to someone else.
 */
export const GO_GET_CACHE_CONTROL = UNCACHEABLE;

/** Whether a GET or HEAD request's query asks for the go-get page (`go-get=1`, what cmd/go sends). */
export function isGoGetRequest(req: IncomingMessage, query: string): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  return new URLSearchParams(query).get('go-get') === '1';
}

/**
 * The page for `rawPath` (still percent-encoded), or undefined when no project owns the import
 * path or the caller may not read its owner.
 */
export function goGetPage(
  service: Pick<ProxyService, 'projectForImport'>,
  caller: Caller,
  req: IncomingMessage,
  rawPath: string,
): string | undefined {
  const origin = requestOrigin(req);
  if (origin === undefined) return undefined;
  const path = decodePath(rawPath);
  if (path === undefined) return undefined;
  // Import paths carry no port (golang/go#38213): the host name alone, then the path.
  const importPath = `${origin.hostName}${path}`.replace(/\/+$/, '');
  const project = service.projectForImport(importPath, caller);
  if (project === undefined) return undefined;
  return renderPage(project.modulePath, origin.url);
}

/** Where the client reached this server (`https://git.example.com:8443`), or undefined when `Host` is missing or not a plain host. */
export function requestOrigin(req: IncomingMessage): { readonly url: string; readonly hostName: string } | undefined {
  const host = req.headers.host;
  if (host === undefined || !/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/.test(host)) return undefined;
  return { url: `${schemeOf(req)}://${host}`, hostName: host.replace(/:[0-9]+$/, '') };
}

/** The meta tag in a minimal page; `go get` reads only the head. */
function renderPage(root: string, proxyUrl: string): string {
  const content = escapeHtml(`${root} mod ${proxyUrl}`);
  return `<!DOCTYPE html>\n<html><head><meta name="go-import" content="${content}"></head><body>go get ${
    escapeHtml(root)
  }</body></html>\n`;
}

/** https when the connection is TLS, or when a forwarding proxy says the client used it. */
function schemeOf(req: IncomingMessage): 'http' | 'https' {
  const forwarded = req.headers['x-forwarded-proto'];
  if (forwarded === 'https' || forwarded === 'http') return forwarded;
  return 'encrypted' in req.socket && req.socket.encrypted === true ? 'https' : 'http';
}

function decodePath(rawPath: string): string | undefined {
  try {
    const path = decodeURIComponent(rawPath);
    return path.includes('\0') ? undefined : path;
  } catch {
    return undefined;
  }
}
