/**
 * Request → route → answer. HTTP details only (methods, statuses, headers, streaming); everything
 * else is asked of the service (`access/service.ts`): who the caller is, which module a request
 * names, its versions, go.mod and zip.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '../access/auth.ts';
import { stripBasePath } from './base-path.ts';
import type { AnswerDeadline } from './deadline.ts';
import { refuseCrossSiteCredentials, setResourceHeaders } from './browser-guard.ts';
import type { CompressionLevel } from '../git/archive.ts';
import { badRequest, notFound, ProxyError } from '../common/errors.ts';
import { GO_GET_CACHE_CONTROL, goGetPage, isGoGetRequest } from './go-get.ts';
import type { CachePolicy } from './cache.ts';
import { answerNotModified, bodyETag, cacheControl, sendCacheable, versionETag } from './cache.ts';
import { sendZip } from './zip-file.ts';
import { sendBody, sendError, sendText } from './respond.ts';
import { METRICS_CONTENT_TYPE } from './metrics.ts';
import type { ObservedRequest, RequestFacts, RequestObserver } from './observe.ts';
import { observeRequest } from './observe.ts';
import type { ModuleRoute } from './route.ts';
import { parseRoute } from './route.ts';
import { infoJson } from './info.ts';
import { answerPage, sendStylesheet } from './pages/pages.ts';
import type { ChecksumDatabases, ProxyService, ServedInfo } from '../access/service.ts';
import type { ClientLimit } from './client-limit.ts';
import { answerPushHook } from './hooks.ts';
import type { ProxySetup } from './go-env.ts';

export type NextFunction = (error?: unknown) => void;
export type Handler = (req: IncomingMessage, res: ServerResponse, next?: NextFunction) => void;

export interface HandlerContext {
  /** The modules, and the credentials in force. */
  readonly service: ProxyService;
  readonly log: (error: unknown) => void;
  /** Access log and metrics. */
  readonly observer: RequestObserver;
  /** Path prefix the proxy is mounted under (`/goproxy`), or `''`. */
  readonly basePath: string;
  /** Compression of zip entries: part of a zip's ETag. */
  readonly compression: CompressionLevel;
  /** How many zip responses each client may have under way. */
  readonly zipStreams: ClientLimit;
  /** How many web pages each client may have under way (their facts may take git and time to derive). */
  readonly pageViews: ClientLimit;
  /** How long the work behind an answer may take before it is a 503. */
  readonly deadline: AnswerDeadline;
  /** What the home page's go command settings depend on. */
  readonly setup: ProxySetup;
}

export function makeHandler(context: HandlerContext): Handler {
  return (req, res, next) => {
    const observed = observeRequest(req, res, context.observer);
    handle(context, req, res, next, observed).catch((error: unknown) => sendError(req, res, error, context.log));
  };
}

async function handle(
  context: HandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
  next: NextFunction | undefined,
  observed: ObservedRequest,
): Promise<void> {
  const rawUrl = req.url ?? '/';
  const query = rawUrl.indexOf('?');
  const path = stripBasePath(query < 0 ? rawUrl : rawUrl.slice(0, query), context.basePath);
  const route = path === undefined ? ({ kind: 'other', path: rawUrl } as const) : parseRoute(path);
  observed.facts.endpoint = route.kind === 'module' ? route.op : route.kind;
  const goGet = route.kind === 'other' && isGoGetRequest(req, query < 0 ? '' : rawUrl.slice(query + 1))
    ? route
    : undefined;
  // Every answer of ours, errors included, is for this origin's own pages (browser-guard.ts).
  if (goGet !== undefined || route.kind !== 'other' || next === undefined) setResourceHeaders(res);
  if (route.kind === 'module') refuseCrossSiteCredentials(req.headers);
  const { service } = context;
  // Answers that name projects wait for the first scan of repos (start-up); the others do not.
  if ((route.kind === 'module' || route.kind === 'page' || goGet !== undefined) && !service.isReady) {
    await service.ready;
  }
  if (goGet !== undefined) {
    const page = goGetPage(service, callerOf(service, req), req, goGet.path);
    observed.facts.endpoint = 'go-get';
    if (page !== undefined || next === undefined) res.setHeader('Cache-Control', GO_GET_CACHE_CONTROL);
    if (page !== undefined) return sendBody(req, res, 200, 'text/html; charset=utf-8', page);
  }
  if (route.kind === 'other' && next !== undefined) {
    observed.handOff();
    return next();
  }
  if (route.kind === 'hook') return answerPushHook(context.service.pushHooks, req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new ProxyError('method-not-allowed', `method ${req.method ?? ''} not allowed`);
  }
  switch (route.kind) {
    case 'module':
      return context.deadline.run(res, answerModule(context, route, req, res, observed.facts));
    case 'page': {
      if (route.page.page === 'style') return sendStylesheet(req, res);
      const caller = callerOf(service, req);
      context.pageViews.enter(clientOf(caller), res);
      return context.deadline.run(res, answerPage(context, route.page, caller, req, res));
    }
    case 'health': {
      // Unhealthy while work that passed its deadline has not finished: the file system or git hangs.
      const { overdue } = context.deadline.stats;
      if (overdue > 0) {
        throw new ProxyError(
          'unavailable',
          `unhealthy: ${overdue} answers passed their deadline and still wait for the file system or git`,
        );
      }
      return sendText(req, res, 200, 'ok');
    }
    case 'ready': {
      // Ready once the first scan of repos is done (before it, module requests wait for the scan)
      // and while the pin store can be reached.
      const notReady = service.notReady();
      if (notReady !== undefined) throw new ProxyError('busy', `not ready: ${notReady}`, 1);
      return sendText(req, res, 200, 'ok');
    }
    case 'metrics':
      return sendBody(req, res, 200, METRICS_CONTENT_TYPE, context.observer.metrics.registry.render());
    case 'sumdb': {
      // Without `sumdbs`, a 404 on `/sumdb/<name>/supported` sends the go command to the database
      // directly (`cmd/go/internal/modfetch/sumdb.go` `initBase`).
      const databases = service.checksumDatabases;
      if (databases === undefined) throw notFound('this proxy does not serve a checksum database');
      return answerSumdb(databases, route.path, req, res);
    }
    case 'other':
      throw notFound('no such endpoint');
  }
}

/** The caller of a request (credentials that were presented but did not count are logged by the service). */
function callerOf(service: ProxyService, req: IncomingMessage): Caller {
  return service.caller({ headers: req.headers, remoteAddress: req.socket.remoteAddress });
}

async function answerModule(
  context: HandlerContext,
  route: ModuleRoute,
  req: IncomingMessage,
  res: ServerResponse,
  facts: RequestFacts,
): Promise<void> {
  const caller = callerOf(context.service, req);
  facts.token = caller.tokenName;
  facts.client = caller.address;
  facts.module = route.modulePath;
  facts.version = route.version === '' ? undefined : route.version;
  const module = context.service.module(route.scope, route.modulePath, caller);
  facts.project = module.owner;
  if (module.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(module.retryAfterSeconds));
  const { shared } = module;
  const text = 'text/plain; charset=utf-8';
  const moving = cacheControl({ immutable: false, shared });
  switch (route.op) {
    case 'list': {
      const list = await module.list();
      const body = list.versions.map((v) => `${v}\n`).join('');
      if (list.stale) warnStale(res);
      return sendCacheable(req, res, { contentType: text, body, etag: bodyETag(body), cacheControl: moving });
    }
    case 'latest': {
      const latest = await module.latest();
      const body = infoBody(res, latest);
      return sendCacheable(req, res, { contentType: JSON_TYPE, body, etag: bodyETag(body), cacheControl: moving });
    }
    case 'info': {
      const version = await module.info(route.version);
      const body = infoBody(res, version);
      const policy = versionPolicy(context, 'info', version, route.version, shared);
      // The source's own bytes are their own validator.
      const etag = version.info === undefined ? policy.etag : bodyETag(body);
      return sendCacheable(req, res, { contentType: JSON_TYPE, body, etag, cacheControl: policy.cacheControl });
    }
    case 'mod': {
      const version = await module.mod(route.version, req.method === 'GET' ? clientOf(caller) : undefined);
      return sendCacheable(req, res, {
        contentType: text,
        body: version.goMod,
        ...versionPolicy(context, 'mod', version, route.version, shared),
      });
    }
    case 'zip': {
      const version = await module.exact(route.version);
      if (answerNotModified(req, res, versionPolicy(context, 'zip', version, route.version, shared))) return;
      const client = clientOf(caller);
      context.zipStreams.enter(client, res);
      const head = req.method === 'HEAD';
      return sendZip(req, res, (signal) => module.zip(version, { client, signal, head }));
    }
  }
}

const JSON_TYPE = 'application/json';

/** The `.info` (or `@latest`) body of a version: its source's own bytes, else made from its fields; a stale one is marked so. */
function infoBody(res: ServerResponse, version: ServedInfo): Uint8Array | string {
  if (version.stale === true) warnStale(res);
  return version.info ?? `${JSON.stringify(infoJson(version))}\n`;
}

/** An earlier answer, given because its source failed now (RFC 7234 §5.5.1). */
function warnStale(res: ServerResponse): void {
  res.setHeader('Warning', '110 - "Response is Stale"');
}

/** Answers `/sumdb/<path>` (`path` still percent-encoded). */
async function answerSumdb(
  databases: ChecksumDatabases,
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
  const answer = await databases.answer(decoded);
  return sendCacheable(req, res, {
    contentType: answer.contentType,
    body: answer.body,
    etag: bodyETag(answer.body),
    cacheControl: cacheControl({ immutable: answer.immutable, shared: true }),
  });
}

/** Who a request's new pins, zip streams and page views are counted for (new-pin-limit.ts, client-limit.ts): its token, else its address (an IPv6 one by its /64). */
function clientOf(caller: Caller): string {
  return caller.tokenName === undefined ? `address ${caller.addressKey}` : `token ${caller.tokenName}`;
}

/** A version's files are immutable when asked for by the canonical version (a query like `master` moves). */
function versionPolicy(
  context: HandlerContext,
  kind: 'info' | 'mod' | 'zip',
  version: ServedInfo,
  requested: string,
  shared: boolean,
): CachePolicy {
  const immutable = requested === version.version;
  return { etag: versionETag(kind, version, context.compression), cacheControl: cacheControl({ immutable, shared }) };
}
