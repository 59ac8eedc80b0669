/**
 * The modules from the upstream proxies that this server keeps (`/-/upstream`), apart from the
 * local projects: each with the versions whose files the cache holds, newest first, and links to
 * those files. Shown only to callers who may read upstream modules (`upstreamAccess`); for the
 * others, and without an upstream, the page is a 404 and the home page says nothing of it. Made
 * from the service's index of the cache, a page at a time (no file is read, nothing is asked
 * upstream).
 */
import type { CachedModule, ProxyService } from '../../access/service.ts';
import { notFound } from '../../common/errors.ts';
import { type Html, html } from '../html.ts';
import type { PageContent } from './layout.ts';
import { homeUrl, type PageRequest, protocolFileUrl, upstreamUrl } from './links.ts';
import { pageOf, pager, withPage } from './paging.ts';

/** Modules per page. */
const MODULES_PER_PAGE = 50;
/** Versions shown per module (the newest). */
const VERSIONS_SHOWN = 10;

export function upstreamPage(service: ProxyService, request: PageRequest): PageContent {
  const total = service.cachedUpstreamModules(request.caller, 0, 0)?.total;
  if (total === undefined) throw notFound('no modules from upstream proxies to show');
  const paging = pageOf(request.query, total, MODULES_PER_PAGE);
  const shown = service.cachedUpstreamModules(request.caller, paging.start, paging.end - paging.start)?.modules ?? [];
  const body = html`
    <h1>Modules from the upstream proxies</h1>
    <p
      class="lead">Modules no project here owns (public modules, Go toolchains), fetched from this server's upstream proxies and kept in its cache: what is listed here is served without asking upstream again.</p>
    <p class="muted">${total.toLocaleString('en-US')} module${total === 1 ? '' : 's'} kept.</p>
    ${shown.length === 0 ? '' : moduleTable(request, shown)}
    ${pager(paging, (page) => withPage(request.query, page), 'Upstream modules pages')}
  `;
  const crumbs = [{ label: 'Projects', href: homeUrl(request) }, {
    label: 'Upstream modules',
    href: upstreamUrl(request),
  }];
  return { title: 'Upstream modules', crumbs, body };
}

/** The home page's pointer to this page, for a caller who may see it. */
export function upstreamSection(service: ProxyService, request: PageRequest): Html | '' {
  const total = service.cachedUpstreamModules(request.caller, 0, 0)?.total;
  if (total === undefined) return '';
  return html`
    <h2 id="upstream">Modules from the upstream proxies</h2>
    <p>${total.toLocaleString('en-US')} module${total === 1
      ? ' that no project here owns is'
      : 's that no project here owns are'} kept from the upstream proxies: <a href="${upstreamUrl(
        request,
      )}">list them</a>.</p>
  `;
}

function moduleTable(request: PageRequest, modules: readonly CachedModule[]): Html {
  const rows = modules.map((module) => {
    const hidden = module.versions.length - VERSIONS_SHOWN;
    const versions = module.versions.slice(0, VERSIONS_SHOWN).map(({ version, files }) =>
      html`<li><code>${version}</code> ${
        files.map((file, i) =>
          html`${i === 0 ? '' : ' · '}<a href="${
            protocolFileUrl(request, module.modulePath, version, file)
          }">.${file}</a>`
        )
      }</li>`
    );
    return html`
      <tr>
        <td class="path"><code>${module.modulePath}</code></td>
        <td><ul class="links">${versions}</ul>${hidden > 0 ? html`<p class="muted">and ${hidden} older</p>` : ''}</td>
      </tr>
    `;
  });
  return html`
    <table>
      <caption>By module path; versions newest first, with the files kept</caption>
      <thead>
        <tr>
          <th scope="col">Module</th>
          <th scope="col">Versions</th>
        </tr>
      </thead>
      <tbody>${rows}</tbody>
    </table>
  `;
}
