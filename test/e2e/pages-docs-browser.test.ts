/**
 * A README in a real browser (Debian's chromium driven by playwright-core): its raw `<script>` and
 * `javascript:` link run nothing, its image (a file of the version, served by the proxy) loads, and
 * its links go to the version's files.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { createRepo } from '../support/git-fixture.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { PIXEL, README } from '../support/readme-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const DOCS = 'go.localhost/acme/readme';

describe('a README in chromium', {
  skip: !existsSync(CHROMIUM) && `chromium not found at ${CHROMIUM} (apt-get install chromium)`,
}, () => {
  let scratch: string;
  let proxy: RunningProxy;
  let browser: Browser;

  before(async () => {
    scratch = await makeTempDir('pages-docs-browser');
    const repo = await createRepo(join(scratch, 'repos'), 'acme/readme');
    await repo.commit({
      'go.mod': `module ${DOCS}\n\ngo 1.19\n`,
      'readme.go': 'package readme\n',
      'README.md': README,
      'docs/guide.md': '# Guide\n',
      'img/logo.png': PIXEL,
    }, { date: '2024-01-02T03:04:05Z' });
    await repo.tag('v1.0.0');
    proxy = await startProxy({ repos: join(scratch, 'repos'), defaultVisibility: 'public' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });

  after(async () => {
    await browser?.close();
    await proxy?.close();
    if (scratch !== undefined) await removeDir(scratch);
  });

  test('nothing in the README runs, its image loads, its link opens the version file', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const misbehaviour: string[] = [];
    page.on('dialog', (dialog) => {
      misbehaviour.push(`dialog ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('console', (message) => message.type() === 'error' && misbehaviour.push(message.text()));
    page.on('pageerror', (error) => misbehaviour.push(error.message));
    await page.goto(`${proxy.url}/-/modules/${DOCS}`);
    const readme = page.locator('.readme');
    assert.equal(await readme.locator('h1').innerText(), 'Readme module');
    assert.equal(await readme.locator('script').count(), 0);
    assert.match(await readme.innerText(), /<script>alert\("readme"\)<\/script>/);
    assert.equal(await readme.locator('a[href^="javascript:"]').count(), 0);
    assert.equal(await readme.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth), 1);
    assert.deepEqual(misbehaviour, []);
    // A plain-text file is no page of ours: the browser asks for /favicon.ico beside it.
    await readme.getByRole('link', { name: 'the guide' }).click();
    await page.waitForURL(`${proxy.url}/-/files/${DOCS}/@v/v1.0.0/docs/guide.md`);
    assert.equal((await page.locator('body').innerText()).trim(), '# Guide');
    await page.close();
  });
});
