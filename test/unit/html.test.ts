import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, html } from '../../lib/http/html.ts';

test('escapeHtml turns every character that can open markup or close an attribute into an entity', () => {
  assert.equal(escapeHtml(`<img src=x onerror=alert(1)>&"'`), '&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;');
  assert.equal(escapeHtml('plain/path@v1.0.0'), 'plain/path@v1.0.0');
});

test('html escapes interpolated text and numbers, inserts its own fragments once, joins arrays and leaves out nothing-values', () => {
  const name = '"><script>alert(1)</script>';
  const inner = html`<b>${name}</b>`;
  assert.equal(
    html`<p title="${name}">${inner}</p>`.text,
    '<p title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"><b>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</b></p>',
  );
  assert.equal(
    html`<ul>${['a<', 'b&'].map((item) => html`<li>${item}</li>`)}</ul>`.text,
    '<ul><li>a&lt;</li><li>b&amp;</li></ul>',
  );
  assert.equal(html`${undefined}${null}${false}${0}${''}`.text, '0');
  assert.equal(String(html`<i>${'x'}</i>`), '<i>x</i>');
});
