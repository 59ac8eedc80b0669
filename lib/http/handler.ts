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
import { notFound, ProxyError } from '../common/errors.ts';
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
import type { ProxyService, ServedModule, ServedVersion } from '../access/service.ts';
import type { ClientLimit } from './client-limit.ts';
import { answerPushHook } from './hooks.ts';
import type { SumdbProxy } from '../upstream/sumdb-proxy.ts';
import type { UpstreamModules } from '../upstream/upstream-modules.ts';
import { UPSTREAM } from '../pins/store.ts';
import { answerFromUpstream, answerSumdb } from './upstream-answers.ts';
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
  /** Modules no local project owns, from upstream proxies (config `upstream`); absent without one. */
  readonly upstream?: UpstreamAccess;
  /** The checksum databases proxied at `/sumdb/<name>/` (config `sumdbs`); absent when none. */
  readonly sumdb?: SumdbProxy;
  /** What the home page's go command settings depend on. */
  readonly setup: ProxySetup;
}

/** The upstream modules, and who may read them. */
export interface UpstreamAccess {
  readonly modules: UpstreamModules;
  /** `anyone` (as a public project) or `authenticated` (any valid token). */
  readonly access: 'anyone' | 'authenticated';
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
    case 'sumdb':
      // Without `sumdbs`, a 404 on `/sumdb/<name>/supported` sends the go command to the database
      // directly (`cmd/go/internal/modfetch/sumdb.go` `initBase`).
      if (context.sumdb === undefined) throw notFound('this proxy does not serve a checksum database');
      return answerSumdb(context.sumdb, route.path, req, res);
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
  let module: ServedModule;
  try {
    module = context.service.module(route.scope, route.modulePath, caller);
  } catch (error) {
    const upstream = upstreamFor(context, route, caller, error);
    if (upstream === undefined) throw error;
    facts.project = UPSTREAM;
    if (route.op === 'zip') context.zipStreams.enter(clientOf(caller), res);
    return answerFromUpstream(upstream.modules, route, req, res, upstream.access === 'anyone');
  }
  facts.project = module.project?.fullPath;
  if (module.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(module.retryAfterSeconds));
  const { shared } = module;
  const text = 'text/plain; charset=utf-8';
  const moving = cacheControl({ immutable: false, shared });
  switch (route.op) {
    case 'list': {
      const body = (await module.list()).map((v) => `${v}\n`).join('');
      return sendCacheable(req, res, { contentType: text, body, etag: bodyETag(body), cacheControl: moving });
    }
    case 'latest': {
      const body = `${JSON.stringify(infoJson(await module.latest()))}\n`;
      return sendCacheable(req, res, {
        contentType: 'application/json',
        body,
        etag: bodyETag(body),
        cacheControl: moving,
      });
    }
    case 'info': {
      const version = await module.info(route.version);
      const body = `${JSON.stringify(infoJson(version))}\n`;
      const policy = versionPolicy(context, 'info', version, route.version, shared);
      return sendCacheable(req, res, { contentType: 'application/json', body, ...policy });
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

/**
 * The upstream that answers a module request no local project answered (`error`, a "not found"):
 * on the instance endpoint only, for a path that is not private (a refusal is logged and counted),
 * to a caller who may read upstream modules. Undefined when the local answer stands.
 */
function upstreamFor(
  context: HandlerContext,
  route: ModuleRoute,
  caller: Caller,
  error: unknown,
): UpstreamAccess | undefined {
  const { upstream } = context;
  if (upstream === undefined || route.scope.kind !== 'instance') return undefined;
  if (!(error instanceof ProxyError) || error.kind !== 'not-found') return undefined;
  if (!upstream.modules.forwards(route.modulePath, route.op)) return undefined;
  if (upstream.access === 'authenticated' && caller.tokenName === undefined) {
    throw notFound(
      `module ${route.modulePath}: modules from the upstream proxy are served to callers with a token only`,
    );
  }
  return upstream;
}

/** Who a request's new pins, zip streams and page views are counted for (new-pin-limit.ts, client-limit.ts): its token, else its address (an IPv6 one by its /64). */
function clientOf(caller: Caller): string {
  return caller.tokenName === undefined ? `address ${caller.addressKey}` : `token ${caller.tokenName}`;
}

/** A version's files are immutable when asked for by the canonical version (a query like `master` moves). */
function versionPolicy(
  context: HandlerContext,
  kind: 'info' | 'mod' | 'zip',
  version: ServedVersion,
  requested: string,
  shared: boolean,
): CachePolicy {
  const immutable = requested === version.version;
  return { etag: versionETag(kind, version, context.compression), cacheControl: cacheControl({ immutable, shared }) };
}
