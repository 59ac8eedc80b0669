/**
 * License detection (lib/facts/license.ts): each license told apart from its near relatives (BSD
 * with two or three clauses, ISC and 0BSD, GPL, LGPL and AGPL), as projects write the files (a
 * copyright line filled in, Apache's appendix left out, the LGPL without the GPL beside it), and
 * anything else `unknown`.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { detectLicense } from '../../lib/facts/license.ts';

const text = (file: string): string =>
  (createRequire(import.meta.url)(`spdx-license-list/licenses/${file}.json`) as { licenseText: string }).licenseText;

test('the common licenses are told apart, as projects write them', async () => {
  const cases: Array<[expected: string, file: string]> = [
    ['MIT', text('MIT').replace('<year> <copyright holders>', '2024 Acme Corp')],
    ['Apache-2.0', text('Apache-2.0').split('APPENDIX')[0]!],
    ['BSD-2-Clause', text('BSD-2-Clause').replace('<year> <owner>', '2020, The Authors')],
    ['BSD-3-Clause', text('BSD-3-Clause')],
    ['ISC', text('ISC')],
    ['0BSD', text('0BSD')],
    ['MPL-2.0', text('MPL-2.0')],
    ['GPL-2.0', text('GPL-2.0-or-later')],
    ['GPL-3.0', text('GPL-3.0-only')],
    ['LGPL-2.1', text('LGPL-2.1-only')],
    ['LGPL-3.0', text('LGPL-3.0-only').split('\nGNU GENERAL PUBLIC LICENSE')[0]!],
    ['AGPL-3.0', text('AGPL-3.0-only')],
    ['Unlicense', text('Unlicense')],
    ['CC0-1.0', text('CC0-1.0')],
    ['unknown', 'Copyright 2024 Acme. All rights reserved. Do not copy this code.'],
    ['unknown', ''],
    ['unknown', `${text('MIT')}\n\n${text('BSL-1.0')}`], // two licenses in one file: neither alone
  ];
  for (const [expected, file] of cases) assert.equal(await detectLicense(file), expected, expected);
});
