/**
 * READMEs rendered for the web pages (lib/facts/readme.ts), on input a repository controls: a
 * paragraph of a hundred thousand inline tokens renders instead of throwing (it used to overflow the
 * stack when the resolved tokens were spread into one call, a 500 on every page of that version).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_README_BYTES, renderReadme } from '../../lib/facts/readme.ts';

test('a README whose one paragraph holds 100,000 inline tokens renders', () => {
  for (const unit of ['*a', '~~a', '*[', '*a\n']) {
    const text = unit.repeat(Math.floor(MAX_README_BYTES / unit.length));
    const { html } = renderReadme('README.md', text, () => false);
    assert.ok(html.startsWith('<p>'), unit);
  }
});

test('links in a long paragraph are still resolved: a file of the zip, and a scheme that is not allowed', () => {
  const text = `${'*a '.repeat(60_000)}[doc](doc.md) [x](javascript:alert(1)) ![logo](img/logo.png)`;
  const { html } = renderReadme('README.md', text, (path) => path === 'doc.md' || path === 'img/logo.png');
  assert.match(html, /<a href="goproxy-file:doc\.md">doc<\/a>/);
  assert.match(html, /<img src="goproxy-file:img\/logo\.png" alt="logo">/);
  assert.doesNotMatch(html, /href="javascript:/);
});
