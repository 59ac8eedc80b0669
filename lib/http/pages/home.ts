/**
 * The home page (`/`): what this server is, how to point the go command at it (GOPROXY,
 * GONOSUMDB, `.netrc`, the project and group endpoints), and the projects the caller may read,
 * searchable and paginated (and, apart, how many modules are kept from the upstream proxies:
 * upstream-page.ts). Built from the projects the service lists alone: no git process, whatever
 * the number of projects.
 */
import type { ProjectFacts, ProxyService } from '../../access/service.ts';
import { type Html, html } from '../html.ts';
import { goEnv, noSumDbOf, type ProxySetup } from '../go-env.ts';
import type { PageContent } from './layout.ts';
import { loginUrl, moduleUrl, type PageRequest } from './links.ts';
import { formatCount } from './format.ts';
import { pageOf, pager, withPage } from './paging.ts';
import { upstreamSection } from './upstream-page.ts';

/** Projects per page. */
const PROJECTS_PER_PAGE = 50;
/** Longest search term looked at. */
const MAX_SEARCH = 200;
/** Module hosts named in the GONOSUMDB advice. */
const MAX_HOSTS = 5;

export function homePage(service: ProxyService, proxySetup: ProxySetup, request: PageRequest): PageContent {
  const search = (request.query.get('q') ?? '').trim().slice(0, MAX_SEARCH);
  const readable = readableProjects(service, request, search.toLowerCase());
  const { matching, total } = readable;
  const hosts = noSumDbOf(service.moduleHost, readable.hosts, proxySetup.private);
  const paging = pageOf(request.query, matching.length, PROJECTS_PER_PAGE);
  const shown = matching.slice(paging.start, paging.end);
  const body = html`
    <h1>Go modules from git</h1>
    <p
      class="lead">This server is a Go module proxy: it serves the Go modules in its git repositories to the <code>go</code> command, straight from git, and shows here what you can <code>go get</code> from it.</p>
    ${goEnvSection(request, proxySetup, hosts)}
    <h2 id="projects">Projects</h2>
    <form class="search" role="search" method="get" action="">
      <label for="q">Search projects</label>
      <input id="q" name="q" type="search" value="${search}" placeholder="project or module path">
      <button type="submit">Search</button>
    </form>
    <p class="muted">${search === ''
      ? `${formatCount(total)} project${total === 1 ? '' : 's'} you may read.`
      : `${formatCount(matching.length)} of ${formatCount(total)} projects match “${search}”.`}</p>
    ${shown.length === 0 ? '' : projectTable(request, shown)}
    ${pager(paging, (page) => withPage(request.query, page), 'Projects pages')}
    ${upstreamSection(service, request)}
    ${setup(request, hosts)}
  `;
  return { title: 'Projects', crumbs: [], body };
}

/** One pass over the readable projects: those matching the search, how many are readable, and their module hosts. */
function readableProjects(
  service: ProxyService,
  request: PageRequest,
  search: string,
): { matching: ProjectFacts[]; total: number; hosts: string[] } {
  const matching: ProjectFacts[] = [];
  const hosts = new Set<string>();
  const readable = service.readableProjects(request.caller);
  for (const project of readable) {
    if (hosts.size < MAX_HOSTS) hosts.add(project.modulePath.split('/')[0]!);
    if (
      search === '' || project.fullPath.toLowerCase().includes(search) ||
      project.modulePath.toLowerCase().includes(search)
    ) matching.push(project);
  }
  return { matching, total: readable.length, hosts: [...hosts].sort() };
}

function projectTable(request: PageRequest, shown: readonly ProjectFacts[]): Html {
  const rows = shown.map((project) =>
    html`
      <tr>
        <td class="path"><a href="${moduleUrl(request, project.modulePath)}">${project.fullPath}</a></td>
        <td class="path"><code>${project.modulePath}</code></td>
        <td><span class="mark ${project.visibility}">${project.visibility}</span></td>
      </tr>
    `
  );
  return html`
    <div class="scroll">
      <table>
        <caption>Projects, by path</caption>
        <thead>
          <tr>
            <th scope="col">Project</th>
            <th scope="col">Module path</th>
            <th scope="col">Visibility</th>
          </tr>
        </thead>
        <tbody>${rows}</tbody>
      </table>
    </div>
  `;
}

/** The settings that make the go command use this server as it is set up (http/go-env.ts), with a placeholder where the request does not say. */
function goEnvSection(request: PageRequest, setup: ProxySetup, noSumDb: readonly string[]): Html {
  const settings = goEnv({ proxyUrl: proxyOf(request), ...setup, noSumDb });
  const lines = settings.map(({ name, value }) => `go env -w ${name}=${value}`).join('\n');
  const where = setup.upstream
    ? html`This server answers for every module: its own, public modules from its upstream proxy (kept here once fetched), and Go toolchains for <code>GOTOOLCHAIN=auto</code>${
      setup.sumdbs.length > 0 ? html`; the checksum database is reached through it too` : ''
    }.`
    : html`This server answers for its own modules; for any other it answers 404 and the go command moves on to proxy.golang.org.`;
  return html`
    <pre class="copy" aria-label="Settings for the go command"><code>${lines}</code></pre>
    <p
      class="muted">${where} GONOSUMDB keeps the go command from asking the public checksum database about module paths it cannot know. More below: <a href="#setup">private modules and other endpoints</a>.</p>
  `;
}

const proxyOf = (request: PageRequest): string => request.proxyUrl ?? 'https://<this server>';

/** `.netrc`, GOPRIVATE and the project and group endpoints. */
function setup(request: PageRequest, hosts: readonly string[]): Html {
  const proxy = proxyOf(request);
  const machine = request.hostName ?? '<this server>';
  return html`
    <h2 id="setup">Setting up</h2>
    <p>Use <code>GONOSUMDB</code>, not <code>GOPRIVATE</code>: <code>GOPRIVATE</code> also implies <code>GONOPROXY</code>, which makes the go command bypass this proxy. Keep <code>GOPROXY</code> as it is and set <code>GOPRIVATE=${hosts
      .join(
        ',',
      )}</code> only if this server answers for the module host itself (the go command then finds it through <code>?go-get=1</code>).</p>
    <h3>Private modules</h3>
    <p>Projects that are not public need a token. The go command sends it from <code>~/.netrc</code>, over HTTPS only; the login is not checked, the token is the password:</p>
    <pre class="copy"><code>machine ${machine}
      login your-name
      password &lt;your token&gt;</code></pre>
    <p>In this browser: <a href="${loginUrl(
      request,
    )}">sign in with a token</a> (any user name, the token as password) to see the projects it grants.</p>
    <h3>Endpoints</h3>
    <div class="scroll">
      <table>
        <caption>GOPROXY values this server answers</caption>
        <thead>
          <tr>
            <th scope="col">GOPROXY</th>
            <th scope="col">serves</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td class="path"><code>${proxy}</code></td>
            <td>every project you may read</td>
          </tr>
          <tr>
            <td class="path"><code>${proxy}/api/v4/groups/&lt;group&gt;/-/packages/go</code></td>
            <td>the projects below a group (its full path, URL-encoded)</td>
          </tr>
          <tr>
            <td class="path"><code>${proxy}/api/v4/projects/&lt;project&gt;/packages/go</code></td>
            <td>one project (its numeric id or URL-encoded full path), as GitLab does</td>
          </tr>
        </tbody>
      </table>
    </div>
  `;
}
