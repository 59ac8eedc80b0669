/**
 * Request → route → answer. HTTP details only (methods, statuses, headers, streaming); everything
 * else is asked of the service (`access/service.ts`): who the caller is, which module a request
 * names, its versions, go.mod and zip.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '../access/auth.ts';
import { stripBasePath } from './base-path.ts';
import type { CompressionLevel } from '../git/archive.ts';
import { notFound, ProxyError } from '../common/errors.ts';
import { GO_GET_CACHE_CONTROL, goGetPage, isGoGetRequest } from './go-get.ts';
import type { CachePolicy } from './cache.ts';
import { answerNotModified, bodyETag, cacheControl, sendCacheable, versionETag } from './cache.ts';
import { requestedRange } from './range.ts';
import { sendBody, sendError, sendText } from './respond.ts';
import { METRICS_CONTENT_TYPE } from './metrics.ts';
import type { ObservedRequest, RequestFacts, RequestObserver } from './observe.ts';
import { observeRequest } from './observe.ts';
import type { ModuleRoute } from './route.ts';
import { parseRoute } from './route.ts';
import { infoJson } from './info.ts';
import { answerPage } from './pages/pages.ts';
import type { ProxyService, ServedModule, ServedVersion, ZipBody } from '../access/service.ts';
import type { ZipSink } from '../zip/spool.ts';
import type { ZipStreamLimit } from './zip-streams.ts';

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
  readonly zipStreams: ZipStreamLimit;
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
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new ProxyError('method-not-allowed', `method ${req.method ?? ''} not allowed`);
  }
  switch (route.kind) {
    case 'module':
      return answerModule(context, route, req, res, observed.facts);
    case 'page':
      return answerPage(context, route.page, () => callerOf(service, req), req, res);
    case 'health':
      return sendText(req, res, 200, 'ok');
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
      // We do not proxy a checksum database: a 404 on `/sumdb/<name>/supported` sends the go command to
      // the database directly (`cmd/go/internal/modfetch/sumdb.go` `initBase`).
      throw notFound('this proxy does not serve a checksum database');
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
  facts.module = route.modulePath;
  facts.version = route.version === '' ? undefined : route.version;
  const module = context.service.module(route.scope, route.modulePath, caller);
  facts.project = module.project?.fullPath;
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
      return sendZip({ module, version, client, req, res });
    }
  }
}

/** Who a request's new pins and zip streams are counted for (new-pin-limit.ts, zip-streams.ts): its token, else its address. */
function clientOf(caller: Caller): string {
  return caller.tokenName === undefined ? `address ${caller.address}` : `token ${caller.tokenName}`;
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

/** A zip request's parts. */
interface ZipAnswer {
  readonly module: ServedModule;
  readonly version: ServedVersion;
  /** Whose rate of new pins a first download counts against. */
  readonly client: string;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

/**
 * Sends a zip. One complete before its first byte (from the zip cache) goes with its length and
 * single byte ranges. One made as it streams goes out as it comes: what the names decide is decided
 * before the status line; the size rules are decided while the files stream, and the end of the
 * zip waits for them; a HEAD waits for every rule. A refusal or failure after the status line aborts
 * the connection before the zip's end (see `sendError`), and the next request gets the 4xx. A
 * client that goes away aborts the signal, which stops the zip (and its git process).
 */
async function sendZip({ module, version, client, req, res }: ZipAnswer): Promise<void> {
  const closed = abortWhenClosed(res);
  let zip: ZipBody | undefined;
  try {
    const head = req.method === 'HEAD';
    zip = await module.zip(version, { client, signal: closed.signal, head });
    let range = zip.size === undefined ? undefined : requestedRange(req, zip.size);
    if (range === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${zip.size}`);
      throw new ProxyError('range-not-satisfiable', 'range not satisfiable');
    }
    // No body to cut short: the status waits for every rule.
    if (head) await zip.verdict();
    res.statusCode = range === undefined ? 200 : 206;
    res.setHeader('Content-Type', 'application/zip');
    if (zip.size !== undefined) {
      range ??= { start: 0, end: zip.size };
      res.setHeader('Accept-Ranges', 'bytes');
      res.setHeader('Content-Length', range.end - range.start);
      if (res.statusCode === 206) res.setHeader('Content-Range', `bytes ${range.start}-${range.end - 1}/${zip.size}`);
    }
    if (head) return void res.end();
    await zip.send(responseSink(res, closed.signal), range);
    res.end();
  } finally {
    closed.detach();
    zip?.close();
  }
}

/** The response as the zip sees it: takes chunks, tells when the client has taken them. */
function responseSink(res: ServerResponse, signal: AbortSignal): ZipSink {
  return { write: (chunk) => res.write(chunk), drained: () => waitForDrain(res, signal) };
}

/** A signal that aborts when the response closes before it has finished (the client went away), or when detached unfinished. */
function abortWhenClosed(res: ServerResponse): { signal: AbortSignal; detach: () => void } {
  const abort = new AbortController();
  const onClose = () => abort.abort();
  res.on('close', onClose);
  return {
    signal: abort.signal,
    detach: () => {
      res.off('close', onClose);
      if (!res.writableFinished) abort.abort();
    },
  };
}

/** Resolves once the response has no more bytes waiting for the client than it takes at once; rejects when the client went away. */
function waitForDrain(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('client went away'));
    if (!res.writableNeedDrain) return resolve();
    const done = () => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      if (signal.aborted) reject(new Error('client went away'));
      else resolve();
    };
    res.on('drain', done);
    signal.addEventListener('abort', done);
  });
}
