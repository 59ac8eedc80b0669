/**
 * What every web page shares: the page shell (header, breadcrumbs, main, footer), the headers that
 * keep hostile repository text inert (a Content-Security-Policy without inline scripts, nosniff,
 * no framing), and how a page or a page's error is sent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bodyETag, sendCacheable } from '../cache.ts';
import { type Html, html } from '../html.ts';
import { sendBody } from '../respond.ts';
import type { PageRequest } from './links.ts';
import { catalogUrl, homeUrl, loginUrl, styleUrl } from './links.ts';

/** No script at all, styles and images from this server only, forms posted back here, no framing. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const HTML_TYPE = 'text/html; charset=utf-8';

/** One page: its title, the trail of links above it, and its content. */
export interface PageContent {
  readonly title: string;
  readonly crumbs: ReadonlyArray<{ readonly label: string; readonly href: string }>;
  readonly body: Html;
}

/** The whole document of a page. */
export function renderPage(request: PageRequest, content: PageContent): string {
  const who = request.caller.tokenName === undefined
    ? html`<a href="${loginUrl(request)}">Sign in with a token</a>`
    : html`Signed in with token <strong>${request.caller.tokenName}</strong>`;
  const trail = content.crumbs.length === 0 ? '' : html`
    <nav class="crumbs" aria-label="Breadcrumb">
      <ol>${content.crumbs.map((crumb, i) =>
        i === content.crumbs.length - 1
          ? html`<li><span aria-current="page">${crumb.label}</span></li>`
          : html`<li><a href="${crumb.href}">${crumb.label}</a></li>`
      )}</ol>
    </nav>
  `;
  return html`
    <!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <title>${content.title} · git-goproxy</title>
        <link rel="stylesheet" href="${styleUrl(request)}">
        <link rel="icon" href="data:,">
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="site">
          <a class="brand" href="${homeUrl(request)}">git<span>-</span>goproxy</a>
          <nav aria-label="Site"><a href="${homeUrl(request)}">Projects</a><a href="${catalogUrl(
            request,
          )}">Catalog (JSON)</a></nav>
          <p class="who">${who}</p>
        </header>
        <main id="main">
    ${trail}
    ${content.body}
        </main>
        <footer>git-goproxy: a Go module proxy that serves modules straight from git repositories. <a href="${catalogUrl(
          request,
        )}">The catalog as JSON</a>.</footer>
      </body>
    </html>
  `.text;
}

/** The headers every page answer carries, errors included. */
export function setPageHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
}

/** Sends a 200 page: revalidated on every view (it moves with the repositories and depends on who asks). */
export function sendPage(req: IncomingMessage, res: ServerResponse, document: string): void {
  setPageHeaders(res);
  sendCacheable(req, res, {
    contentType: HTML_TYPE,
    body: document,
    etag: bodyETag(document),
    cacheControl: 'private, no-cache',
  });
}

/** Sends a page-shaped error: the same status and reason as the protocol would give. */
export function sendErrorPage(
  req: IncomingMessage,
  res: ServerResponse,
  request: PageRequest,
  status: number,
  reason: string,
): void {
  setPageHeaders(res);
  const body = html`
    <h1>${status === 404 ? 'Not found' : `Error ${status}`}</h1>
    <p class="refusal">${reason}</p>
    <p><a href="${homeUrl(request)}">All projects</a></p>
  `;
  res.setHeader('Cache-Control', 'private, no-cache');
  sendBody(
    req,
    res,
    status,
    HTML_TYPE,
    renderPage(request, { title: status === 404 ? 'Not found' : `Error ${status}`, crumbs: [], body }),
  );
}

/** A JSON answer of the pages (`/-/catalog`). */
export function sendPageJson(req: IncomingMessage, res: ServerResponse, value: unknown): void {
  const body = `${JSON.stringify(value)}\n`;
  res.setHeader('X-Content-Type-Options', 'nosniff');
  sendCacheable(req, res, {
    contentType: 'application/json',
    body,
    etag: bodyETag(body),
    cacheControl: 'private, no-cache',
  });
}
