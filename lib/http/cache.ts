/**
 * HTTP caching of module answers (RFC 9110 §8.8 validators, §13.1.2 If-None-Match; RFC 9111
 * Cache-Control; RFC 8246 `immutable`):
 *
 * - `.info`, `.mod` and `.zip` carry an ETag made from what fixes their content: the commit (none
 *   for a module from an upstream proxy, whose versions are pinned), the module path, the version,
 *   and the zip format (this writer's version and compression level). `list`, `@latest` and an
 *   `.info` sent in an upstream's own bytes carry the hash of their body. `If-None-Match` that
 *   matches → 304. An answer given stale because its source failed says so (`Warning: 110`).
 * - A canonical version's files never change (pins keep them as first served): `immutable`, a
 *   year, for the client's own cache. `list`, `@latest` and queries (`master.info`) move with the
 *   repository: one minute. Who may read a project can change at any time (it is made private, a
 *   token is revoked), so a shared cache (`s-maxage`) keeps nothing longer than
 *   `SHARED_MAX_AGE_SECONDS` without asking again; the answer to its revalidation is then a 404
 *   (or a `private` 304) once the project is no longer public. Projects that are not `public` are
 *   `private`, so that a shared cache never stores them. Failures are `private, no-store` (respond.ts): they
 *   depend on who asks.
 * - Text bodies are gzipped when the client accepts it and it pays; `Vary: Accept-Encoding`. They
 *   are compressed in zlib's thread pool, never on the event loop, and a go.mod (up to 16 MiB) is
 *   compressed once while the repository's file cache holds its bytes, not on every request.
 * - Complete bodies carry `Content-Length`.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { CompressionLevel } from '../git/archive.ts';
import type { ServedInfo } from '../access/service.ts';
import { zipFormat } from '../zip/source.ts';

/** How long clients and caches may keep answers that move with the repository (`list`, `@latest`, queries). */
export const SHORT_MAX_AGE_SECONDS = 60;

/** A year: RFC 9111's conventional "never expires". */
const IMMUTABLE_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;

/** How long a shared cache may answer a public project's immutable files without revalidating: a project made private is private there within that. */
export const SHARED_MAX_AGE_SECONDS = 300;

/** Bodies shorter than this are sent as they are: gzip's header and trailer would outweigh the gain. */
const MIN_GZIP_BYTES = 256;

/** How an answer may be cached. */
export interface CachePolicy {
  /** The validator of the identity representation, quoted (`"…"` or `W/"…"`). */
  readonly etag: string;
  readonly cacheControl: string;
}

/** A complete answer that caches may keep. */
export interface CacheableBody extends CachePolicy {
  readonly contentType: string;
  readonly body: Uint8Array | string;
}

/**
 * The ETag of a version's `.info`, `.mod` or `.zip`. The zip's is weak: git's deflate output may
 * differ between git builds while the files (and the go command's `h1:` hash) stay the same.
 */
export function versionETag(
  kind: 'info' | 'mod' | 'zip',
  version: ServedInfo,
  compression: CompressionLevel,
): string {
  const format = kind === 'zip' ? zipFormat(compression) : kind;
  const tag = `"${digest(`${format}\n${version.commit ?? ''}\n${version.modulePath}\n${version.version}`)}"`;
  return kind === 'zip' ? `W/${tag}` : tag;
}

/** The ETag of a body that has no better identity (`list`, `@latest`). */
export function bodyETag(body: Uint8Array | string): string {
  return `"${digest(body)}"`;
}

function digest(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('base64url').slice(0, 27);
}

/**
 * `Cache-Control` for an answer: `immutable` when it can never change; `private` unless the project
 * is public, and then shared caches revalidate within `SHARED_MAX_AGE_SECONDS`.
 */
export function cacheControl(options: { readonly immutable: boolean; readonly shared: boolean }): string {
  if (!options.shared) {
    return options.immutable
      ? `private, max-age=${IMMUTABLE_MAX_AGE_SECONDS}, immutable`
      : `private, max-age=${SHORT_MAX_AGE_SECONDS}`;
  }
  return options.immutable
    ? `public, max-age=${IMMUTABLE_MAX_AGE_SECONDS}, s-maxage=${SHARED_MAX_AGE_SECONDS}, immutable`
    : `public, max-age=${SHORT_MAX_AGE_SECONDS}`;
}

/**
 * Whether `If-None-Match` matches `etag` by the weak comparison RFC 9110 §13.1.2 prescribes
 * (`W/` ignored on both sides), or is `*`.
 */
export function matchesIfNoneMatch(req: IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = stripWeak(etag);
  return (header.match(/(?:W\/)?"[^"]*"/g) ?? []).some((candidate) => stripWeak(candidate) === opaque);
}

function stripWeak(etag: string): string {
  return etag.startsWith('W/') ? etag.slice(2) : etag;
}

/** Whether the request's `Accept-Encoding` takes gzip (RFC 9110 §12.5.3: `gzip`, `x-gzip` or `*`, q > 0). */
export function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  if (header === undefined) return false;
  let star = false;
  for (const item of header.split(',')) {
    const [coding, ...params] = item.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find((m) => m !== null);
    const accepted = q === undefined || q === null || Number(q[1]) > 0;
    if (coding === 'gzip' || coding === 'x-gzip') return accepted;
    if (coding === '*') star = accepted;
  }
  return star;
}

/**
 * Sets the validator and cache headers and answers 304 when the client already holds this
 * representation. Returns true when the 304 was sent (the caller stops there).
 */
export function answerNotModified(req: IncomingMessage, res: ServerResponse, policy: CachePolicy): boolean {
  res.setHeader('ETag', policy.etag);
  res.setHeader('Cache-Control', policy.cacheControl);
  if (!matchesIfNoneMatch(req, policy.etag)) return false;
  res.statusCode = 304;
  res.end();
  return true;
}

const gzipInThreadPool = promisify(gzip);

/** Gzipped go.mod bodies, kept with the bytes they compress (the file cache hands out the same bytes per commit). */
const gzippedBlobs = new WeakMap<Uint8Array, Promise<Buffer>>();

/** A body gzipped off the event loop; byte bodies (go.mod files) once for as long as they live. */
function gzipped(body: Uint8Array | string, identity: Uint8Array): Promise<Buffer> {
  if (typeof body === 'string') return gzipInThreadPool(identity);
  let compressed = gzippedBlobs.get(body);
  if (compressed === undefined) {
    compressed = gzipInThreadPool(body);
    gzippedBlobs.set(body, compressed);
  }
  return compressed;
}

/** Sends a complete 200 answer with its cache headers, gzipped when accepted and worth it; 304 when the client has it. */
export async function sendCacheable(req: IncomingMessage, res: ServerResponse, answer: CacheableBody): Promise<void> {
  const identity = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
  const gzip = identity.length >= MIN_GZIP_BYTES && acceptsGzip(req);
  res.setHeader('Vary', 'Accept-Encoding');
  // Each representation has its own validator (RFC 9110 §8.8.3): the gzipped one is marked.
  const etag = gzip ? answer.etag.replace(/"$/, '-gzip"') : answer.etag;
  if (answerNotModified(req, res, { etag, cacheControl: answer.cacheControl })) return;
  const bytes = gzip ? await gzipped(answer.body, identity) : identity;
  res.statusCode = 200;
  res.setHeader('Content-Type', answer.contentType);
  if (gzip) res.setHeader('Content-Encoding', 'gzip');
  res.setHeader('Content-Length', bytes.length);
  res.end(req.method === 'HEAD' ? undefined : bytes);
}
