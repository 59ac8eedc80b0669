/**
 * A version's page (`/-/modules/<module path>/@v/<version>`): why the go command would refuse it,
 * if it would; its `.info`, go.mod, go.sum lines once pinned, and download links; the files of its
 * zip with their sizes (from the planned layout: the sizes of the blobs, before any eol
 * conversion), and the files left out and why. The version must be canonical, as for `.zip`.
 */
import type { ProxyService } from '../../access/service.ts';
import { isRetracted } from '../../modules/retract.ts';
import { goSumLines } from '../../zip/hash.ts';
import type { ZipContents } from '../../zip/source.ts';
import { type Html, html } from '../html.ts';
import { infoJson } from '../info.ts';
import type { PageContent } from './layout.ts';
import { homeUrl, moduleUrl, type PageRequest, protocolFileUrl, versionUrl } from './links.ts';
import { pageProject } from './repository-modules.ts';
import { formatBytes, formatCount, formatTime } from './format.ts';
import { goModSection, latestFacts } from './module-page.ts';
import { pageOf, pager, withPage } from './paging.ts';
import { licenseMarks, readmeSection } from './readme-section.ts';

/** Files listed per page of a large module. */
const FILES_PER_PAGE = 200;
/** Left-out files listed (a vendor directory can hold thousands). */
const MAX_OMITTED_SHOWN = 200;

export async function versionPage(
  service: ProxyService,
  request: PageRequest,
  modulePath: string,
  requested: string,
): Promise<PageContent> {
  const module = service.module({ kind: 'instance' }, modulePath, request.caller);
  pageProject(module); // no page, nor upstream request, for a module from elsewhere
  const version = await module.exact(requested);
  const [{ contents, readme }, latest, licenses, pin] = await Promise.all([
    module.commitFacts(version),
    latestFacts(module),
    module.licenses(version),
    module.pin(version.version),
  ]);
  const retracted = isRetracted(version.version, latest.retractions);
  const link = (ext: 'info' | 'mod' | 'zip') => protocolFileUrl(request, modulePath, version.version, ext);
  const body = html`
    <h1>${modulePath}@${version.version}</h1>
    ${contents.refusal === undefined ? '' : html`
      <p class="refusal"
        role="alert"><strong>The go command refuses this version.</strong> The <code>.zip</code> answer is 404: ${contents
          .refusal}</p>
    `}
    <dl class="facts">
      <dt>Time</dt>
      <dd><time datetime="${version.time.toISOString()}">${formatTime(version.time)}</time></dd>
      <dt>Commit</dt>
      <dd>${version.commit === undefined
        ? html`<span class="muted">unknown</span>`
        : html`<code>${version.commit}</code>`}</dd>
      <dt>Tag</dt>
      <dd>${version.tag === undefined ? html`<span class="muted">none</span>` : html`<code>${version.tag}</code>`}</dd>
      <dt>License</dt>
      <dd>${licenseMarks(licenses)}</dd>
      <dt>Marks</dt>
      <dd>${latest.latest?.version === version.version
        ? html`<span class="mark latest">latest</span>`
        : ''}${pin === undefined
        ? html`<span class="muted">not downloaded yet</span>`
        : html`<span class="mark pinned">pinned</span>`}${retracted
        ? html`<span class="mark retracted">retracted</span>`
        : ''}</dd>
      <dt>Download</dt>
      <dd><a href="${link('info')}">.info</a> · <a href="${link('mod')}">.mod</a> · <a href="${link(
        'zip',
      )}">.zip</a></dd>
    </dl>
    <pre class="copy"><code>go get ${modulePath}@${version.version}</code></pre>
    ${pin?.zip === undefined ? '' : html`
      <h2 id="go-sum">go.sum lines</h2>
      <pre class="copy go-sum"><code>${goSumLines(modulePath, version.version, pin.zip, pin.mod)}</code></pre>
    `}
    ${readmeSection(request, modulePath, version.version, readme)}
    <h2 id="info">.info</h2><pre><code>${JSON.stringify(infoJson(version), null, 2)}</code></pre>
    ${goModSection(request, modulePath, version, 'go.mod')}
    ${contents.refusal === undefined ? fileSections(request, contents) : ''}
  `;
  const crumbs = [
    { label: 'Projects', href: homeUrl(request) },
    { label: modulePath, href: moduleUrl(request, modulePath) },
    { label: version.version, href: versionUrl(request, modulePath, version.version) },
  ];
  return { title: `${modulePath}@${version.version}`, crumbs, body };
}

function fileSections(request: PageRequest, contents: ZipContents): Html {
  const paging = pageOf(request.query, contents.files.length, FILES_PER_PAGE);
  const bytes = contents.files.reduce((sum, file) => sum + file.size, 0);
  const rows = contents.files.slice(paging.start, paging.end).map((file) =>
    html`
      <tr>
        <td class="path"><code>${file.path}</code>${file.path === 'LICENSE' && contents.inheritedLicense
          ? html`
            <span class="muted">(from the repository root)</span>
          `
          : ''}</td>
        <td class="num">${formatBytes(file.size)}</td>
      </tr>
    `
  );
  const omitted = contents.omitted.slice(0, MAX_OMITTED_SHOWN).map((file) =>
    html`
      <tr>
        <td class="path"><code>${file.path}</code></td>
        <td>${file.reason}</td>
      </tr>
    `
  );
  return html`
    <h2 id="files">Files in the zip</h2>
    <p>${formatCount(contents.files.length)} file${contents.files.length === 1 ? '' : 's'}, ${formatBytes(
      bytes,
    )}, below <code>&lt;module&gt;@&lt;version&gt;/</code>.</p>
    <div class="scroll">
      <table>
        <caption>Paths relative to the module root; sizes as stored in git</caption>
        <thead>
          <tr>
            <th scope="col">Path</th>
            <th scope="col" class="num">Size</th>
          </tr>
        </thead>
        <tbody>${rows}</tbody>
      </table>
    </div>
    ${pager(paging, (page) => withPage(request.query, page), 'File pages')}
    <h2 id="left-out">Left out</h2>
    ${omitted.length === 0 ? html`<p>Nothing: every file of the module's directory is in the zip.</p>` : html`
      <div class="scroll">
        <table>
          <caption>Files of the module's directory the go command leaves out of the zip</caption>
          <thead>
            <tr>
              <th scope="col">Path</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>${omitted}</tbody>
        </table>
      </div>
    `}
    ${contents.omitted.length > MAX_OMITTED_SHOWN
      ? html`<p class="muted">and ${contents.omitted.length - MAX_OMITTED_SHOWN} more.</p>`
      : ''}
  `;
}
