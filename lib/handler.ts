/**
 * Request → route → answer. HTTP details only (methods, statuses, headers, streaming); what a module
 * version is comes from `modules.ts`, how its zip is made from `module-zip-source.ts`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenStore } from './auth.ts';
import { ProxyError, notFound } from './errors.ts';
import { goGetPage, isGoGetRequest } from './go-get.ts';
import { sendBody, sendError, sendJson, sendText } from './http-util.ts';
import type { ModuleRoute } from './route.ts';
import { parseRoute } from './route.ts';
import type { ModuleService } from './service.ts';
import type { ModuleVersion } from './modules.ts';

export type NextFunction = (error?: unknown) => void;
export type Handler = (req: IncomingMessage, res: ServerResponse, next?: NextFunction) => void;

export interface HandlerContext {
  readonly service: ModuleService;
  /** Turns a request's credentials into the caller whose access rules apply. */
  readonly tokens: TokenStore;
  readonly log: (error: unknown) => void;
}

export function makeHandler(context: HandlerContext): Handler {
  return (req, res, next) => {
    handle(context, req, res, next).catch((error: unknown) => sendError(req, res, error, context.log));
  };
}

async function handle(context: HandlerContext, req: IncomingMessage, res: ServerResponse, next: NextFunction | undefined): Promise<void> {
  const rawUrl = req.url ?? '/';
  const query = rawUrl.indexOf('?');
  const route = parseRoute(query < 0 ? rawUrl : rawUrl.slice(0, query));
  if (route.kind === 'other' && isGoGetRequest(req, query < 0 ? '' : rawUrl.slice(query + 1))) {
    const page = goGetPage(context.service, context.tokens.callerOf(req), req, route.path);
    if (page !== undefined) return sendBody(req, res, 200, 'text/html; charset=utf-8', page);
  }
  if (route.kind === 'other' && next !== undefined) return next();
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new ProxyError(405, `method ${req.method ?? ''} not allowed`, { Allow: 'GET, HEAD' });
  }
  switch (route.kind) {
    case 'module':
      return answerModule(context, route, req, res);
    case 'health':
    case 'ready':
      return sendText(req, res, 200, 'ok');
    case 'sumdb':
      // We do not proxy a checksum database: 404 sends the go command to it directly (go-reference.md §1.9).
      throw notFound('this proxy does not serve a checksum database');
    case 'metrics':
    case 'other':
      throw notFound('no such endpoint');
  }
}

async function answerModule(context: HandlerContext, route: ModuleRoute, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const module = context.service.module(route.scope, route.modulePath, context.tokens.callerOf(req));
  switch (route.op) {
    case 'list': {
      const versions = await context.service.list(module);
      return sendBody(req, res, 200, 'text/plain; charset=utf-8', versions.map((v) => `${v}\n`).join(''));
    }
    case 'latest':
      return sendJson(req, res, infoJson(await context.service.pins.latest(module)));
    case 'info':
      return sendJson(req, res, infoJson(await context.service.pins.stat(module, route.version)));
    case 'mod': {
      const version = await context.service.pins.exact(module, route.version);
      if (req.method === 'GET') await context.service.pins.recordGoMod(version);
      return sendBody(req, res, 200, 'text/plain; charset=utf-8', version.goMod);
    }
    case 'zip':
      return sendZip(context, module, await context.service.pins.exact(module, route.version), req, res);
  }
}

/** The `.info` JSON: canonical version and committer time in UTC seconds, as direct mode writes it. */
function infoJson(version: ModuleVersion): Record<string, unknown> {
  const origin: Record<string, string> = { VCS: 'git', Hash: version.commit };
  if (version.tag !== undefined) origin.Ref = `refs/tags/${version.tag}`;
  return { Version: version.version, Time: version.time.toISOString().replace(/\.\d{3}Z$/, 'Z'), Origin: origin };
}

/**
 * Streams the zip. Everything that can make the go command refuse the version is decided before
 * the status line; a failure after it aborts the connection (see `sendError`). A client that goes
 * away aborts the signal, which kills the git process.
 */
async function sendZip(
  context: HandlerContext,
  module: ReturnType<ModuleService['module']>,
  version: ModuleVersion,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const abort = new AbortController();
  const onClose = () => abort.abort();
  res.on('close', onClose);
  try {
    const zip = await context.service.zip(module, version, abort.signal);
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/zip');
    if (req.method === 'HEAD') {
      zip.cancel();
      res.end();
      return;
    }
    for await (const chunk of zip.chunks) {
      if (!res.write(chunk)) await waitForDrain(res, abort.signal);
    }
    res.end();
  } finally {
    res.off('close', onClose);
    if (!res.writableFinished) abort.abort();
  }
}

function waitForDrain(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('client went away'));
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
