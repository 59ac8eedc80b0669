/**
 * Request → route → answer. HTTP details only (methods, statuses, headers, streaming); what a module
 * version is comes from `modules/module-repo.ts`, how its zip is made from `zip/source.ts`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Caller, logAuthEvent, type TokenStore } from '../access/auth.ts';
import { addressKey } from '../access/client-address.ts';
import { stripBasePath } from './base-path.ts';
import type { AnswerDeadline } from './deadline.ts';
import { refuseCrossSiteCredentials, setResourceHeaders } from './browser-guard.ts';
import type { CompressionLevel } from '../git/archive.ts';
import { notFound, ProxyError } from '../common/errors.ts';
import { GO_GET_CACHE_CONTROL, goGetPage, isGoGetRequest } from './go-get.ts';
import type { CachePolicy } from './cache.ts';
import { answerNotModified, bodyETag, cacheControl, sendCacheable, versionETag } from './cache.ts';
import { abortWhenClosed, sendZipFile, waitForDrain } from './zip-file.ts';
import { sendBody, sendError, sendText } from './respond.ts';
import { METRICS_CONTENT_TYPE } from './metrics.ts';
import type { ObservedRequest, RequestFacts, RequestObserver } from './observe.ts';
import { observeRequest } from './observe.ts';
import type { ModuleRoute } from './route.ts';
import { parseRoute } from './route.ts';
import { infoJson } from './info.ts';
import { answerPage } from './pages/pages.ts';
import type { ModuleService, ModuleTarget } from '../access/module-service.ts';
import type { ModuleVersion } from '../modules/module-repo.ts';
import type { ZipSink } from '../zip/spool.ts';
import type { ZipStreamLimit } from './zip-streams.ts';
import type { SumdbProxy } from '../upstream/sumdb-proxy.ts';
import type { UpstreamModules } from '../upstream/upstream-modules.ts';
import { UPSTREAM } from '../pins/store.ts';
import { answerFromUpstream, answerSumdb } from './upstream-answers.ts';
import type { ProxySetup } from './go-env.ts';

export type NextFunction = (error?: unknown) => void;
export type Handler = (req: IncomingMessage, res: ServerResponse, next?: NextFunction) => void;

export interface HandlerContext {
  /** The modules, and (`service.projects.tokens`) the credentials in force, swapped with the projects by a reload. */
  readonly service: ModuleService;
  readonly log: (error: unknown) => void;
  /** Access log and metrics. */
  readonly observer: RequestObserver;
  /** Path prefix the proxy is mounted under (`/goproxy`), or `''`. */
  readonly basePath: string;
  /** Compression of zip entries: part of a zip's ETag. */
  readonly compression: CompressionLevel;
  /** How many zip responses each client may have under way. */
  readonly zipStreams: ZipStreamLimit;
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
  const { projects } = context.service;
  // Answers that name projects wait for the first scan of repos (start-up); the others do not.
  if ((route.kind === 'module' || route.kind === 'page' || goGet !== undefined) && !projects.isReady) {
    await projects.ready;
  }
  if (goGet !== undefined) {
    const page = goGetPage(context.service, callerOf(context.service.projects.tokens, req), req, goGet.path);
    observed.facts.endpoint = 'go-get';
    if (page !== undefined || next === undefined) res.setHeader('Cache-Control', GO_GET_CACHE_CONTROL);
    if (page !== undefined) return sendBody(req, res, 200, 'text/html; charset=utf-8', page);
  }
  if (route.kind === 'other' && next !== undefined) {
    observed.handOff();
    return next();
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new ProxyError('method-not-allowed', `method ${req.method ?? ''} not allowed`);
  }
  switch (route.kind) {
    case 'module':
      return context.deadline.run(res, answerModule(context, route, req, res, observed.facts));
    case 'page': {
      const caller = () => callerOf(context.service.projects.tokens, req);
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
      if (!projects.isReady) throw new ProxyError('busy', 'not ready: first scan of the repositories under way', 1);
      const notReady = context.service.notReady();
      if (notReady !== undefined) throw new ProxyError('busy', `not ready: ${notReady}`, 1);
      return sendText(req, res, 200, 'ok');
    }
    case 'metrics':
      return sendBody(req, res, 200, METRICS_CONTENT_TYPE, context.observer.metrics.render());
    case 'sumdb':
      // Without `sumdbs`, a 404 on `/sumdb/<name>/supported` sends the go command to the database
      // directly (`cmd/go/internal/modfetch/sumdb.go` `initBase`).
      if (context.sumdb === undefined) throw notFound('this proxy does not serve a checksum database');
      return answerSumdb(context.sumdb, route.path, req, res);
    case 'other':
      throw notFound('no such endpoint');
  }
}

/** The caller of a request; credentials that were presented but did not count are logged. */
function callerOf(tokens: TokenStore, req: IncomingMessage): Caller {
  const { caller, failure } = tokens.authenticate({ headers: req.headers, remoteAddress: req.socket.remoteAddress });
  if (failure !== undefined) {
    logAuthEvent({ event: 'auth failed', reason: failure.reason, token: failure.tokenName, client: caller.address });
  }
  return caller;
}

async function answerModule(
  context: HandlerContext,
  route: ModuleRoute,
  req: IncomingMessage,
  res: ServerResponse,
  facts: RequestFacts,
): Promise<void> {
  const caller = callerOf(context.service.projects.tokens, req);
  facts.token = caller.tokenName;
  facts.client = caller.address;
  facts.module = route.modulePath;
  facts.version = route.version === '' ? undefined : route.version;
  let target: ModuleTarget;
  try {
    target = context.service.module(route.scope, route.modulePath, caller);
  } catch (error) {
    const upstream = upstreamFor(context, route, caller, error);
    if (upstream === undefined) throw error;
    facts.project = UPSTREAM;
    if (route.op === 'zip') context.zipStreams.enter(clientOf(caller), res);
    return answerFromUpstream(upstream.modules, route, req, res, upstream.access === 'anyone');
  }
  facts.project = target.project.fullPath;
  const shared = target.project.visibility === 'public';
  const text = 'text/plain; charset=utf-8';
  const moving = cacheControl({ immutable: false, shared });
  switch (route.op) {
    case 'list': {
      const body = (await context.service.list(target)).map((v) => `${v}\n`).join('');
      return sendCacheable(req, res, { contentType: text, body, etag: bodyETag(body), cacheControl: moving });
    }
    case 'latest': {
      const body = `${JSON.stringify(infoJson(await context.service.pins.latest(target)))}\n`;
      return sendCacheable(req, res, {
        contentType: 'application/json',
        body,
        etag: bodyETag(body),
        cacheControl: moving,
      });
    }
    case 'info': {
      const version = await context.service.pins.stat(target, route.version);
      const body = `${JSON.stringify(infoJson(version))}\n`;
      const policy = versionPolicy(context, 'info', version, route.version, shared);
      return sendCacheable(req, res, { contentType: 'application/json', body, ...policy });
    }
    case 'mod': {
      const version = await context.service.pins.exact(target, route.version);
      if (req.method === 'GET') await context.service.pins.recordGoMod(target, version, clientOf(caller));
      return sendCacheable(req, res, {
        contentType: text,
        body: version.goMod,
        ...versionPolicy(context, 'mod', version, route.version, shared),
      });
    }
    case 'zip': {
      const version = await context.service.pins.exact(target, route.version);
      if (answerNotModified(req, res, versionPolicy(context, 'zip', version, route.version, shared))) return;
      const client = clientOf(caller);
      context.zipStreams.enter(client, res);
      return sendZip({ context, target, version, client, req, res });
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

/** Who a request's new pins and zip streams are counted for (new-pin-limit.ts, zip-streams.ts): its token, else its address (an IPv6 one by its /64). */
function clientOf(caller: Caller): string {
  return caller.tokenName === undefined ? `address ${addressKey(caller.address)}` : `token ${caller.tokenName}`;
}

/** A version's files are immutable when asked for by the canonical version (a query like `master` moves). */
function versionPolicy(
  context: HandlerContext,
  kind: 'info' | 'mod' | 'zip',
  version: ModuleVersion,
  requested: string,
  shared: boolean,
): CachePolicy {
  const immutable = requested === version.version;
  return { etag: versionETag(kind, version, context.compression), cacheControl: cacheControl({ immutable, shared }) };
}

/** A zip request's parts. */
interface ZipAnswer {
  readonly context: HandlerContext;
  readonly target: ModuleTarget;
  readonly version: ModuleVersion;
  /** Whose rate of new pins a first download counts against. */
  readonly client: string;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

/** Sends a zip, through the zip cache when it is on. A HEAD for a zip not yet cached is planned, never built. */
function sendZip(answer: ZipAnswer): Promise<void> {
  const { service } = answer.context;
  const cached = service.zipCache !== undefined &&
    (answer.req.method === 'GET' || service.hasCachedZip(answer.version));
  return cached ? sendCachedZip(answer) : streamZip(answer);
}

/**
 * Streams the zip from git, through a spool file once the client falls behind git (zip/spool.ts).
 * What the names decide is decided before the status line; the size rules are decided while the
 * files stream, and the end of the zip waits for them. A refusal or failure after the status line
 * aborts the connection before the zip's end (see `sendError`), and the next request gets the 4xx.
 * A client that goes away aborts the signal, which kills the git process.
 */
async function streamZip({ context, target, version, client, req, res }: ZipAnswer): Promise<void> {
  const closed = abortWhenClosed(res);
  try {
    const zip = await context.service.zip(target, version, client, closed.signal);
    if (req.method === 'HEAD') {
      // No body to cut short: the status waits for every rule.
      await zip.verdict?.().finally(() => zip.cancel());
      res.statusCode = 200;
      res.setHeader('Content-Type', 'application/zip');
      res.end();
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/zip');
    await context.service.zipSpool.relay(zip, responseSink(res, closed.signal));
    res.end();
  } finally {
    closed.detach();
  }
}

/** The response as the spool sees it: takes chunks, tells when the client has taken them. */
function responseSink(res: ServerResponse, signal: AbortSignal): ZipSink {
  return { write: (chunk) => res.write(chunk), drained: () => waitForDrain(res, signal) };
}

/**
 * Sends the zip through the zip cache: shared with concurrent requests while it is built, from
 * disk with its length (and single byte ranges) once it is complete.
 */
async function sendCachedZip({ context, target, version, client, req, res }: ZipAnswer): Promise<void> {
  return sendZipFile(req, res, await context.service.cachedZip(target, version, client));
}
