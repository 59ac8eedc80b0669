/**
 * What the module and version pages show of a version's README and licenses (derived once per
 * commit in facts/): the README's markup with its links to the module's files pointed at
 * `/-/files/…` for this version, and the licenses as SPDX identifiers.
 */
import type { CommitFacts, LicenseFact } from '../../facts/commit-facts.ts';
import { FILE_LINK } from '../../facts/readme.ts';
import { type Html, html, trustedMarkup } from '../html.ts';
import { formatBytes } from './format.ts';
import { fileUrl, type PageRequest } from './links.ts';

/** The README section, or nothing when the version has none. */
export function readmeSection(
  request: PageRequest,
  modulePath: string,
  version: string,
  readme: CommitFacts['readme'],
): Html | '' {
  if (readme === undefined) return '';
  const link = fileUrl(request, modulePath, version, readme.path);
  if (!('html' in readme)) {
    return html`<h2 id="readme">${readme.path}</h2>
<p class="muted">${formatBytes(readme.size)}: too large to show here. <a href="${link}">The file itself</a>.</p>`;
  }
  const files = `"${fileUrl(request, modulePath, version, '')}`;
  return html`<h2 id="readme">${readme.path}</h2>
<div class="readme">${trustedMarkup(readme.html.replaceAll(`"${FILE_LINK}`, files))}</div>`;
}

/** `MIT`, `Apache-2.0, MIT`, or `none found`: for a page's header. */
export function licenseMarks(licenses: readonly LicenseFact[]): Html {
  if (licenses.length === 0) return html`<span class="muted">no license file</span>`;
  const ids = [...new Set(licenses.map((license) => license.id))];
  return html`${
    ids.map((id) =>
      html`<span class="mark license" title="${
        licenses.filter((license) => license.id === id).map((license) =>
          license.path
        ).join(', ')
      }">${id}</span>`
    )
  }`;
}
