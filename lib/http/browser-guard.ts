/**
 * What a browser may do with this server's answers when another page asks for them. A browser that
 * has signed in at `/?login=1` sends its Basic credentials with every request to this origin, also
 * when a page of another origin of the same site (another port, a sibling subdomain) embeds a URL
 * of ours (`<script src>`, `<img src>`): that page could then learn from load and error events
 * which private modules and versions exist, and make pins charged to the signed-in user.
 *
 * - Every answer of ours carries `Cross-Origin-Resource-Policy: same-origin` (a browser hands it to
 *   no other origin's page, so no load event tells anything) and `X-Content-Type-Options: nosniff`
 *   (no body is ever taken for a script or a stylesheet).
 * - A protocol request that a browser sent on its own for another origin's page
 *   (`Sec-Fetch-Site` other than `same-origin` or `none`, with credentials a browser attaches by
 *   itself: Basic or a cookie) is refused with 403 before it is looked at, so it reads nothing and
 *   pins nothing. The go command sends no `Sec-Fetch-*` header; neither do other tools.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { ProxyError } from '../common/errors.ts';

/** Sets the headers that keep an answer to this origin's own pages. */
export function setResourceHeaders(res: ServerResponse): void {
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

/** `Sec-Fetch-Site` values of a request the user made (typed, bookmarked) or this origin's pages made. */
const OWN_SITES = new Set(['same-origin', 'none']);

/** Throws a `forbidden` `ProxyError` (403) for a request a browser sent with its own credentials for another origin's page. */
export function refuseCrossSiteCredentials(headers: IncomingHttpHeaders): void {
  const site = headers['sec-fetch-site'];
  if (site === undefined || OWN_SITES.has(site.toLowerCase())) return;
  const basic = /^\s*basic\s/i.test(headers.authorization ?? '');
  if (!basic && headers.cookie === undefined) return;
  throw new ProxyError(
    'forbidden',
    "forbidden: a browser sent its credentials for another site's page (Sec-Fetch-Site); open the URL itself",
  );
}
