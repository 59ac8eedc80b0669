/**
 * A module's page (`/-/modules/<module path>`): its versions newest first (time, commit, tag,
 * retracted, pinned, and for a version the go command would refuse the reason its `.zip` answer
 * gives), `@latest` and the `go get` line, the go.sum lines of pinned versions, the go.mod of the
 * latest version, and the other modules of the repository. The module is found exactly as the
 * protocol's instance endpoint finds it, so a project the caller may not read is the same 404.
 */
import type { ProjectFacts, ProxyService, ServedInfo, ServedModule, ServedVersion } from '../../access/service.ts';
import { ProxyError } from '../../common/errors.ts';
import { goModExcerpt } from '../../facts/commit-facts.ts';
import { laxGoMod } from '../../modules/gomod-lax.ts';
import { isRetracted, type VersionInterval } from '../../modules/retract.ts';
import type { Pin } from '../../pins/store.ts';
import { goSumLines } from '../../zip/hash.ts';
import { type Html, html } from '../html.ts';
import type { PageContent } from './layout.ts';
import { homeUrl, moduleUrl, type PageRequest, protocolFileUrl, versionUrl } from './links.ts';
import { pageOf, pager, withPage } from './paging.ts';
import { formatBytes, formatTime } from './format.ts';
import { licenseMarks, readmeSection } from './readme-section.ts';
import { pageProject, repositoryModules } from './repository-modules.ts';

/** Versions per page: each may cost a tree listing (kept afterwards) to know whether it is refused. */
const VERSIONS_PER_PAGE = 25;

/** What the module page and the version page know about one listed version. */
export interface VersionFacts {
  readonly version: string;
  /** As the proxy resolves it, or undefined when it cannot (then `problem` says why). */
  readonly resolved: ServedInfo | undefined;
  /** Why the go command would refuse the version's zip, or why it cannot be resolved at all. */
  readonly problem: string | undefined;
  readonly pin: Pin | undefined;
  readonly retracted: boolean;
}

/** The latest version, and the retractions its go.mod declares. */
export interface LatestFacts {
  readonly latest: ServedVersion | undefined;
  readonly problem: string | undefined;
  readonly retractions: readonly VersionInterval[];
}

export async function modulePage(
  service: ProxyService,
  request: PageRequest,
  modulePath: string,
): Promise<PageContent> {
  const module = service.module({ kind: 'instance' }, modulePath, request.caller);
  const project = pageProject(module);
  const versions = [...(await module.list()).versions].reverse();
  const latest = await latestFacts(module);
  const paging = pageOf(request.query, versions.length, VERSIONS_PER_PAGE);
  const facts = await Promise.all(
    versions.slice(paging.start, paging.end).map((version) => versionFacts(module, version, latest)),
  );
  const modules = await repositoryModules(service, module, request.caller);
  const shown = latest.latest;
  const [latestCommit, licenses] = shown === undefined
    ? [undefined, undefined]
    : await Promise.all([module.commitFacts(shown), module.licenses(shown)]);
  const body = html`<h1>${modulePath}</h1>
<p class="lead">In project <strong>${project.fullPath}</strong> <span class="mark ${project.visibility}">${project.visibility}</span>${
    licenses === undefined ? '' : html`
      · License: ${licenseMarks(licenses)}
    `
  }</p>
${install(request, modulePath, latest)}
${shown === undefined ? '' : readmeSection(request, modulePath, shown.version, latestCommit?.readme)}
<h2 id="versions">Versions</h2>
${
    versions.length === 0
      ? html`<p>No tagged versions: <code>@latest</code> is the default branch's pseudo-version.</p>`
      : versionTable(request, modulePath, facts, latest.latest)
  }
${pager(paging, (page) => withPage(request.query, page), 'Versions pages')}
${goSumSection(modulePath, facts)}
${latest.latest === undefined ? '' : goModSection(request, modulePath, latest.latest)}
${modules.length <= 1 ? '' : moduleList(request, modulePath, modules)}
${projectEndpoint(request, project)}`;
  return {
    title: modulePath,
    crumbs: [{ label: 'Projects', href: homeUrl(request) }, {
      label: modulePath,
      href: moduleUrl(request, modulePath),
    }],
    body,
  };
}

/** `@latest`, as the go command would get it; a module without any version says why. */
export async function latestFacts(module: ServedModule): Promise<LatestFacts> {
  try {
    const latest = await module.exact((await module.latest()).version);
    return { latest, problem: undefined, retractions: (await laxGoMod(latest.goMod)).retractions };
  } catch (error) {
    if (!(error instanceof ProxyError)) throw error;
    return { latest: undefined, problem: error.message, retractions: [] };
  }
}

/** One version resolved as `.info` resolves it, and whether its zip would be refused. */
export async function versionFacts(
  module: ServedModule,
  version: string,
  latest: LatestFacts,
): Promise<VersionFacts> {
  const pin = await module.pin(version);
  const retracted = isRetracted(version, latest.retractions);
  try {
    const resolved = await module.info(version);
    return { version, resolved, problem: await module.zipRefusal(resolved), pin, retracted };
  } catch (error) {
    if (!(error instanceof ProxyError)) throw error;
    return { version, resolved: undefined, problem: error.message, pin, retracted };
  }
}

function install(request: PageRequest, modulePath: string, latest: LatestFacts): Html {
  if (latest.latest === undefined) return html`<p class="refusal">@latest: ${latest.problem}</p>`;
  const version = latest.latest.version;
  return html`<h2 id="install">Install</h2>
<pre class="copy"><code>go get ${modulePath}@latest</code></pre>
<p>This server's <code>@latest</code> is <a href="${
    versionUrl(request, modulePath, version)
  }">${version}</a>, committed <time datetime="${latest.latest.time.toISOString()}">${
    formatTime(latest.latest.time)
  }</time>.</p>`;
}

function versionTable(
  request: PageRequest,
  modulePath: string,
  facts: readonly VersionFacts[],
  latest: ServedInfo | undefined,
): Html {
  const rows = facts.map((fact) => {
    const { resolved } = fact;
    const marks = html`${latest?.version === fact.version ? html`<span class="mark latest">latest</span>` : ''}${
      fact.pin === undefined
        ? ''
        : html`<span class="mark pinned" title="served before: answered from commit ${
          fact.pin.commit.slice(0, 12)
        } forever">pinned</span>`
    }${fact.retracted ? html`<span class="mark retracted">retracted</span>` : ''}${
      fact.problem === undefined
        ? ''
        : html`<span class="mark refused">refused</span><p class="refusal">${fact.problem}</p>`
    }`;
    return html`
      <tr>
        <th scope="row"><a href="${versionUrl(request, modulePath, fact.version)}">${fact.version}</a></th>
        <td class="nowrap">${resolved === undefined
          ? ''
          : html`<time datetime="${resolved.time.toISOString()}">${formatTime(resolved.time)}</time>`}</td>
        <td class="nowrap">${resolved?.commit === undefined
          ? ''
          : html`<code title="${resolved.commit}">${resolved.commit.slice(0, 12)}</code>`}</td>
        <td class="nowrap">${resolved?.tag === undefined ? '' : html`<code>${resolved.tag}</code>`}</td>
        <td>${marks}</td>
      </tr>
    `;
  });
  return html`
    <div class="scroll">
      <table>
        <caption>Newest first</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Time (UTC)</th>
            <th scope="col">Commit</th>
            <th scope="col">Tag</th>
            <th scope="col">Notes</th>
          </tr>
        </thead>
        <tbody>${rows}</tbody>
      </table>
    </div>
  `;
}

/** The go.sum lines of the versions on this page that have been served, zip and go.mod. */
function goSumSection(modulePath: string, facts: readonly VersionFacts[]): Html | '' {
  const pinned = facts.filter((fact) => fact.pin?.zip !== undefined);
  if (pinned.length === 0) return '';
  return html`<h2 id="go-sum">go.sum lines</h2>
<p>What the go command writes to <code>go.sum</code> for the versions above that have been downloaded (they are pinned: this server answers them with the same bytes forever).</p>
${
    pinned.map((fact) =>
      html`
        <h3>${fact.version}</h3>
        <pre class="copy go-sum"><code>${goSumLines(
          modulePath,
          fact.version,
          fact.pin!.zip!,
          fact.pin!.mod,
        )}</code></pre>
      `
    )
  }`;
}

/** A version's go.mod as a page shows it: a large one cut short, with a link to the whole `.mod`. */
export function goModSection(request: PageRequest, modulePath: string, version: ServedVersion, heading?: string): Html {
  const excerpt = goModExcerpt(version.goMod);
  const link = protocolFileUrl(request, modulePath, version.version, 'mod');
  return html`
    <h2 id="go-mod">${heading ?? `go.mod of ${version.version}`}</h2>
    <pre><code>${excerpt.text}</code></pre>
    ${excerpt.truncated
      ? html`<p class="muted">The go.mod is ${
        formatBytes(excerpt.size)
      }: cut short here. <a href="${link}">The whole go.mod</a>.</p>`
      : ''}
  `;
}

function moduleList(
  request: PageRequest,
  modulePath: string,
  modules: ReadonlyArray<{ modulePath: string; versions: readonly string[] }>,
): Html {
  const items = modules.map((module) =>
    module.modulePath === modulePath
      ? html`<li><strong>${module.modulePath}</strong> (this page)</li>`
      : html`<li><a href="${
        moduleUrl(request, module.modulePath)
      }">${module.modulePath}</a> <span class="muted">${module.versions.length} version${
        module.versions.length === 1 ? '' : 's'
      }, latest tag ${module.versions.at(-1)}</span></li>`
  );
  return html`
    <h2 id="modules">Modules in this repository</h2>
    <p>Submodules and major versions found in the repository's tags.</p>
    <ul class="links">${items}</ul>
  `;
}

function projectEndpoint(request: PageRequest, project: ProjectFacts): Html {
  const proxy = request.proxyUrl ?? 'https://<this server>';
  const id = project.id === undefined ? encodeURIComponent(project.fullPath) : String(project.id);
  return html`
    <h2 id="endpoint">This project alone</h2>
    <p>A <code>GOPROXY</code> that serves this project's modules only, as GitLab's package registry does:</p>
    <pre class="copy"><code>${proxy}/api/v4/projects/${id}/packages/go</code></pre>
  `;
}
