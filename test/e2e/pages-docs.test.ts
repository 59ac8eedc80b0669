/**
 * A module's README and licenses on the web pages: the README rendered from Markdown (a heading, a
 * table, fenced code, a relative link and image that point at the version's own files) with raw
 * HTML and `javascript:` links made harmless, the files it links to served with a policy that runs
 * nothing, the licenses detected (MIT, Apache-2.0) in the page header and `/-/catalog`, and a
 * private module's README and files the same 404 as a missing module's.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '../../lib/access/auth.ts';
import { createRepo } from '../support/git-fixture.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { PIXEL, README } from '../support/readme-fixture.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const DOCS = 'go.localhost/acme/readme';
const APACHE = 'go.localhost/acme/apache';
const HIDDEN = 'go.localhost/acme/hidden';
const TOKEN = 'ggp_pages-docs';

const MIT = `MIT License

Copyright (c) 2024 Acme Corporation

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`;

describe('README and licenses on the web pages', () => {
  let scratch: string;
  let proxy: RunningProxy;

  before(async () => {
    scratch = await makeTempDir('pages-docs');
    const repos = join(scratch, 'repos');
    const docs = await createRepo(repos, 'acme/readme');
    await docs.commit({
      'go.mod': `module ${DOCS}\n\ngo 1.19\n`,
      'readme.go': 'package readme\n',
      'README.md': README,
      'LICENSE': MIT,
      'docs/guide.md': '# Guide\n',
      'img/logo.png': PIXEL,
    }, { date: '2024-01-02T03:04:05Z' });
    await docs.tag('v1.0.0');
    const apache = await createRepo(repos, 'acme/apache');
    const apacheText = createRequire(import.meta.url)('spdx-license-list/licenses/Apache-2.0.json').licenseText;
    await apache.commit({ 'go.mod': `module ${APACHE}\n\ngo 1.19\n`, 'a.go': 'package a\n', 'LICENSE': apacheText }, {
      date: '2024-01-02T03:04:05Z',
    });
    await apache.tag('v1.0.0');
    const hidden = await createRepo(repos, 'acme/hidden');
    await hidden.commit({ 'go.mod': `module ${HIDDEN}\n`, 'README.md': '# Secret plans\n', 'LICENSE': MIT }, {
      date: '2024-01-02T03:04:05Z',
    });
    await hidden.tag('v1.0.0');
    proxy = await startProxy({
      repos,
      dataDir: join(scratch, 'data'),
      defaultVisibility: 'public',
      projects: [{ path: 'acme/hidden', visibility: 'private' }],
      tokens: [{ name: 'docs', sha256: hashToken(TOKEN), grants: ['acme/hidden'] }],
    });
  });

  after(async () => {
    await proxy?.close();
    if (scratch !== undefined) await removeDir(scratch);
  });

  test('the README is rendered, its links to the version point at its files, and nothing in it runs', async () => {
    for (const path of [`/-/modules/${DOCS}`, `/-/modules/${DOCS}/@v/v1.0.0`]) {
      const page = await (await fetch(`${proxy.url}${path}`)).text();
      const readme = page.slice(page.indexOf('<div class="readme">'));
      assert.match(readme, /<h1>Readme module<\/h1>/, path);
      assert.match(readme, /<div class="scroll"><table>\n<thead>\n<tr>\n<th>Name<\/th>/);
      assert.match(readme, /<pre><code class="language-go">fmt.Println\(&quot;&lt;b&gt;hello&lt;\/b&gt;&quot;\)/);
      assert.match(readme, /<p>&lt;script&gt;alert\(&quot;readme&quot;\)&lt;\/script&gt;<\/p>/);
      const files = `/-/files/${DOCS}/@v/v1.0.0`;
      assert.match(readme, new RegExp(`<a href="${files}/docs/guide\\.md">the guide</a>`));
      assert.match(
        readme,
        /, outside, missing,\n\[bad\]\(javascript:alert\(1\)\), <a href="https:\/\/go\.dev">go<\/a>/,
      );
      assert.match(readme, /<a href="https:\/\/pkg\.go\.dev\/std">https:\/\/pkg\.go\.dev\/std<\/a>/);
      assert.match(readme, new RegExp(`<img src="${files}/img/logo\\.png" alt="logo">`));
      assert.match(readme, /<a href="https:\/\/example\.com\/logo\.png">remote<\/a>/);
      assert.doesNotMatch(page, /<script|href="javascript:|goproxy-file:/);
      assert.match(
        page,
        /License: <span class="mark license" title="LICENSE">MIT<\/span>|<dd><span class="mark license" title="LICENSE">MIT<\/span><\/dd>/,
      );
    }
  });

  test('the files a README links to are served with their type, under a policy that runs nothing', async () => {
    const image = await fetch(`${proxy.url}/-/files/${DOCS}/@v/v1.0.0/img/logo.png`);
    assert.equal(image.status, 200);
    assert.equal(image.headers.get('content-type'), 'image/png');
    assert.match(image.headers.get('content-security-policy') ?? '', /default-src 'none'.*sandbox/);
    assert.equal(image.headers.get('x-content-type-options'), 'nosniff');
    assert.deepEqual(Buffer.from(await image.arrayBuffer()), PIXEL);
    const guide = await fetch(`${proxy.url}/-/files/${DOCS}/@v/v1.0.0/docs/guide.md`);
    assert.equal(guide.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(await guide.text(), '# Guide\n');
    for (const path of ['nope.md', 'img', 'docs']) {
      assert.equal((await fetch(`${proxy.url}/-/files/${DOCS}/@v/v1.0.0/${path}`)).status, 404, path);
    }
    assert.equal((await fetch(`${proxy.url}/-/files/${DOCS}/@v/v1.0.0`)).status, 400);
    // A refusal quotes the path as Go's %q does: no raw bidirectional character reaches a terminal.
    const bidi = await fetch(`${proxy.url}/-/files/${DOCS}/@v/v1.0.0/a%E2%80%AEb.md`);
    assert.equal(bidi.status, 404);
    assert.match(await bidi.text(), /&quot;a\\u202eb\.md&quot;: no such file/);
  });

  test('licenses are detected, shown on the pages and listed in the catalog', async () => {
    const apache = await (await fetch(`${proxy.url}/-/modules/${APACHE}`)).text();
    assert.match(apache, /License: <span class="mark license" title="LICENSE">Apache-2.0<\/span>/);
    const catalog = JSON.parse(await (await fetch(`${proxy.url}/-/catalog`)).text());
    assert.deepEqual(catalog.modules, [
      { module: APACHE, version: 'v1.0.0', licenses: ['Apache-2.0'] },
      { module: DOCS, version: 'v1.0.0', licenses: ['MIT'] },
    ]);
  });

  test("a private module's README, licenses and files are the 404 of a missing module until a token grants them", async () => {
    const basic = { Authorization: `Basic ${Buffer.from(`me:${TOKEN}`).toString('base64')}` };
    for (
      const [hidden, missing] of [
        [`/-/modules/${HIDDEN}`, '/-/modules/go.localhost/acme/nothing'],
        [`/-/files/${HIDDEN}/@v/v1.0.0/README.md`, '/-/files/go.localhost/acme/nothing/@v/v1.0.0/README.md'],
      ] as const
    ) {
      const denied = await fetch(`${proxy.url}${hidden}`);
      const absent = await fetch(`${proxy.url}${missing}`);
      assert.equal(denied.status, 404);
      assert.equal(
        (await denied.text()).replaceAll(HIDDEN, 'M'),
        (await absent.text()).replaceAll('go.localhost/acme/nothing', 'M'),
      );
      assert.equal((await fetch(`${proxy.url}${hidden}`, { headers: basic })).status, 200, hidden);
    }
    assert.doesNotMatch(await (await fetch(`${proxy.url}/-/catalog`)).text(), /hidden/);
    assert.match(await (await fetch(`${proxy.url}/-/modules/${HIDDEN}`, { headers: basic })).text(), /Secret plans/);
  });
});
