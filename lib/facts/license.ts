/**
 * Which license a LICENSE or COPYING file holds: its words compared with the license texts of the
 * SPDX license list (npm `spdx-license-list`, one JSON file per license, maintained from SPDX's
 * own data), for the licenses Go modules use. A file is the license whose text and it share the
 * most three-word runs, when they share at least 75 % of each one's runs; otherwise `unknown`.
 * The texts are read once, when the first file is looked at.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** The SPDX identifiers told apart, and the list's file each one's text is in (the GPL family by its `-only` text). */
const LICENSES: ReadonlyArray<readonly [id: string, file: string]> = [
  ['MIT', 'MIT'],
  ['MIT-0', 'MIT-0'],
  ['Apache-2.0', 'Apache-2.0'],
  ['BSD-2-Clause', 'BSD-2-Clause'],
  ['BSD-3-Clause', 'BSD-3-Clause'],
  ['0BSD', '0BSD'],
  ['ISC', 'ISC'],
  ['MPL-2.0', 'MPL-2.0'],
  ['GPL-2.0', 'GPL-2.0-only'],
  ['GPL-3.0', 'GPL-3.0-only'],
  ['LGPL-2.1', 'LGPL-2.1-only'],
  ['LGPL-3.0', 'LGPL-3.0-only'],
  ['AGPL-3.0', 'AGPL-3.0-only'],
  ['Unlicense', 'Unlicense'],
  ['CC0-1.0', 'CC0-1.0'],
  ['BSL-1.0', 'BSL-1.0'],
  ['EPL-2.0', 'EPL-2.0'],
];

/** What a file that matches no license well enough is called. */
export const UNKNOWN_LICENSE = 'unknown';

/** The least share of each text's three-word runs that a file and a license must have in common. */
const MIN_SHARED = 0.75;

interface LicenseText {
  readonly id: string;
  readonly runs: ReadonlySet<string>;
}

let texts: Promise<LicenseText[]> | undefined;

/** The SPDX identifier of the license a file holds, or `unknown`. */
export async function detectLicense(text: string): Promise<string> {
  const runs = wordRuns(text);
  if (runs.size === 0) return UNKNOWN_LICENSE;
  let best = { id: UNKNOWN_LICENSE, score: MIN_SHARED };
  for (const license of await (texts ??= loadTexts())) {
    let shared = 0;
    for (const run of runs) if (license.runs.has(run)) shared++;
    const score = Math.min(shared / runs.size, shared / license.runs.size);
    if (score >= best.score) best = { id: license.id, score };
  }
  return best.id;
}

async function loadTexts(): Promise<LicenseText[]> {
  const require = createRequire(import.meta.url);
  return await Promise.all(LICENSES.map(async ([id, file]) => {
    const path = require.resolve(`spdx-license-list/licenses/${file}.json`);
    const { licenseText } = JSON.parse(await readFile(path, 'utf8')) as { licenseText: string };
    return { id, runs: wordRuns(ownLicense(licenseText)) };
  }));
}

/**
 * A license text without another license appended to it: the list's LGPL-3.0 carries the GPL-3.0
 * after it (the LGPL adds to it), which a project keeps in a file of its own (COPYING.LESSER, COPYING).
 */
function ownLicense(text: string): string {
  const appended = text.indexOf('\nGNU GENERAL PUBLIC LICENSE', 1);
  return text.startsWith('GNU LESSER') && appended > 0 ? text.slice(0, appended) : text;
}

/** The runs of three words of a text, case, punctuation and layout ignored. */
function wordRuns(text: string): Set<string> {
  const words = text.toLowerCase().replace(/©/g, 'c').split(/[^a-z0-9]+/).filter((word) => word !== '');
  const runs = new Set<string>();
  for (let i = 0; i + 2 < words.length; i++) runs.add(`${words[i]} ${words[i + 1]} ${words[i + 2]}`);
  return runs;
}
