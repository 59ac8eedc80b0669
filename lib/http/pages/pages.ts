/**
 * The proxy's own web pages, server-rendered from `node:http` with no script: the home page (`/`),
 * a page per module and per version, the modules kept from the upstream proxies (`/-/upstream`),
 * `/-/catalog` (JSON) and the stylesheet. Access is the protocol's: the caller comes from the same
 * credentials (a browser sends Basic auth once it has signed in at `/?login=1`), a project they may
 * not read is the same 404 as one that does not exist, and failures carry the protocol's status and
 * reason.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '../../access/auth.ts';
import type { ProxyService } from '../../access/service.ts';
import { ProxyError } from '../../common/errors.ts';
import { bodyETag, sendCacheable } from '../cache.ts';
import { requestOrigin } from '../go-get.ts';
import { html } from '../html.ts';
import type { ProxySetup } from '../go-env.ts';
import type { PageRoute } from '../route.ts';
import { sendBody, setErrorHeaders, statusOf } from '../respond.ts';
import { catalog } from './catalog.ts';
import { sendVersionFile } from './file.ts';
import { homePage } from './home.ts';
import { type PageContent, renderPage, sendErrorPage, sendPage, sendPageJson, setPageHeaders } from './layout.ts';
import { homeUrl, type PageRequest } from './links.ts';
import { modulePage } from './module-page.ts';
import { STYLESHEET } from './stylesheet.ts';
import { upstreamPage } from './upstream-page.ts';
import { versionPage } from './version-page.ts';

/** What the pages need of the handler's context. */
export interface PageContext {
  readonly service: ProxyService;
  readonly basePath: string;
  /** What the go command settings on the home page depend on. */
  readonly setup: ProxySetup;
}

/** The realm a browser keeps the token under after signing in. */
const REALM = 'git-goproxy';

/** `/-/style.css`: the same for everyone. */
export function sendStylesheet(req: IncomingMessage, res: ServerResponse): Promise<void> {
  return sendCacheable(req, res, {
    contentType: 'text/css; charset=utf-8',
    body: STYLESHEET,
    etag: bodyETag(STYLESHEET),
    cacheControl: 'public, max-age=3600',
  });
}

/** Any page but the stylesheet, for `caller`. */
export async function answerPage(
  context: PageContext,
  route: Exclude<PageRoute, { page: 'style' }>,
  caller: Caller,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const request = pageRequest(context, caller, req);
  try {
    if (route.page === 'catalog') return sendPageJson(req, res, await catalog(context.service, request));
    if (route.page === 'file') return await sendVersionFile(context.service, request, route, req, res);
    if (route.page === 'home' && request.query.has('login')) return signIn(req, res, request);
    sendPage(req, res, renderPage(request, await pageContent(context, route, request)));
  } catch (error) {
    if (!(error instanceof ProxyError) || route.page === 'catalog') throw error;
    setErrorHeaders(res, error);
    sendErrorPage(req, res, request, statusOf(error), error.message);
  }
}

function pageContent(
  context: PageContext,
  route: Exclude<PageRoute, { page: 'style' | 'file' }>,
  request: PageRequest,
): PageContent | Promise<PageContent> {
  switch (route.page) {
    case 'module':
      return modulePage(context.service, request, route.modulePath);
    case 'version':
      return versionPage(context.service, request, route.modulePath, route.version);
    case 'upstream':
      return upstreamPage(context.service, request);
    default:
      return homePage(context.service, context.setup, request);
  }
}

function pageRequest(context: PageContext, caller: Caller, req: IncomingMessage): PageRequest {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const origin = requestOrigin(req);
  return {
    caller,
    base: context.basePath,
    query: new URLSearchParams(query < 0 ? '' : url.slice(query + 1)),
    proxyUrl: origin === undefined ? undefined : `${origin.url}${context.basePath}`,
    hostName: origin?.hostName,
  };
}

/**
 * `/?login=1`: asks the browser for credentials (401 with a Basic challenge) until it sends a
 * token that counts, then sends it home, where it keeps sending them for every page below.
 * The only 401 this server answers: the protocol's endpoints never challenge (see README).
 */
function signIn(req: IncomingMessage, res: ServerResponse, request: PageRequest): void {
  setPageHeaders(res);
  if (request.caller.tokenName !== undefined) {
    res.setHeader('Location', homeUrl(request));
    return sendBody(req, res, 303, 'text/plain; charset=utf-8', 'signed in\n');
  }
  res.setHeader('WWW-Authenticate', `Basic realm="${REALM}", charset="UTF-8"`);
  res.setHeader('Cache-Control', 'no-store');
  const body = html`
    <h1>Sign in</h1>
    <p>Give any user name and one of your tokens as the password (<code>node lib/server.js token create</code> makes one). The token is sent with every page afterwards, over this connection's scheme: use HTTPS.</p>
    <p><a href="${homeUrl(request)}">Back to the projects</a></p>
  `;
  sendBody(req, res, 401, 'text/html; charset=utf-8', renderPage(request, { title: 'Sign in', crumbs: [], body }));
}
