/**
 * The GOPROXY answers for a module that no local project owns, from the upstream proxies
 * (lib/upstream/), and the checksum databases proxied at `/sumdb/<name>/`. HTTP only: what to
 * fetch, cache and refuse is decided there.
 *
 * Headers are those of local answers: ETag and 304, gzip, `Cache-Control` immutable for a canonical
 * version's files and `max-age=60` for `list`, `@latest` and queries (`public` when anyone may read
 * upstream modules, `private` otherwise), ranges on a zip complete in the cache. An answer served
 * stale because every upstream failed says so: `Warning: 110 - "Response is Stale"`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest } from '../common/errors.ts';
import type { FreshAnswer } from '../upstream/fresh-answers.ts';
import type { SumdbProxy } from '../upstream/sumdb-proxy.ts';
import type { UpstreamModules } from '../upstream/upstream-modules.ts';
import { answerNotModified, bodyETag, cacheControl, sendCacheable } from './cache.ts';
import type { ModuleRoute } from './route.ts';
import { sendZip } from './zip-file.ts';
import { cachedZipBody } from '../zip/zip-body.ts';

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json';

/** Answers a module request from the upstream; `shared`: whether shared caches may keep the answer. */
export async function answerFromUpstream(
  upstream: UpstreamModules,
  route: ModuleRoute,
  req: IncomingMessage,
  res: ServerResponse,
  shared: boolean,
): Promise<void> {
  const { modulePath, version } = route;
  switch (route.op) {
    case 'list':
      return sendMoving(req, res, TEXT, await upstream.list(modulePath), shared);
    case 'latest':
      return sendMoving(req, res, JSON_TYPE, await upstream.latest(modulePath), shared);
    case 'info': {
      const answer = await upstream.info(modulePath, version);
      if (!answer.immutable) return sendMoving(req, res, JSON_TYPE, answer, shared);
      return sendImmutable(req, res, JSON_TYPE, answer.body, shared);
    }
    case 'mod':
      return sendImmutable(req, res, TEXT, await upstream.mod(modulePath, version), shared);
    case 'zip': {
      const policy = { etag: `W/"${upstream.zipTag(modulePath, version)}"`, cacheControl: immutable(shared) };
      if (answerNotModified(req, res, policy)) return;
      return sendZip(req, res, async () => cachedZipBody(await upstream.zip(modulePath, version)));
    }
  }
}

/** Answers `/sumdb/<path>` (`path` still percent-encoded). */
export async function answerSumdb(
  sumdb: SumdbProxy,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw badRequest('invalid percent-encoding in a checksum database path');
  }
  const answer = await sumdb.answer(decoded);
  return sendCacheable(req, res, {
    contentType: answer.contentType,
    body: answer.body,
    etag: bodyETag(answer.body),
    cacheControl: cacheControl({ immutable: answer.immutable, shared: true }),
  });
}

function immutable(shared: boolean): string {
  return cacheControl({ immutable: true, shared });
}

function sendImmutable(
  req: IncomingMessage,
  res: ServerResponse,
  contentType: string,
  body: Uint8Array,
  shared: boolean,
): Promise<void> {
  return sendCacheable(req, res, { contentType, body, etag: bodyETag(body), cacheControl: immutable(shared) });
}

function sendMoving(
  req: IncomingMessage,
  res: ServerResponse,
  contentType: string,
  answer: FreshAnswer,
  shared: boolean,
): Promise<void> {
  if (answer.stale) res.setHeader('Warning', '110 - "Response is Stale"');
  return sendCacheable(req, res, {
    contentType,
    body: answer.body,
    etag: bodyETag(answer.body),
    cacheControl: cacheControl({ immutable: false, shared }),
  });
}
