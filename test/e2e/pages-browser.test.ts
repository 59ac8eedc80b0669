/**
 * The web pages in a real browser (Debian's chromium driven by playwright-core): the home page and
 * its search, links from there to a module and a version, go.sum lines equal to what the go client
 * writes, a refused version's reason equal to the `.zip` answer's, hostile names that run no script,
 * and a private project that is invisible until the browser signs in with a token. Screenshots of
 * the three pages go to `<tmp>/git-goproxy-screenshots/` (printed), for a person to look at.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { startedChildCount } from '../../lib/git/children.ts';
import { goGet } from '../support/go-client.ts';
import {
  HELLO,
  HOSTILE,
  HOSTILE_FILE,
  HOSTILE_GO_MOD,
  SECRET_MODULE,
  SECRET_TOKEN as TOKEN,
  startPageProxy,
} from '../support/page-fixtures.ts';
import type { RunningProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(tmpdir(), 'git-goproxy-screenshots');

/** Everything a page did that it must not: dialogs (a script ran), console errors, uncaught errors. */
interface Misbehaviour {
  readonly dialogs: string[];
  readonly errors: string[];
}

function watch(context: BrowserContext): Misbehaviour {
  const seen: Misbehaviour = { dialogs: [], errors: [] };
  context.on('page', (page) => observe(page, seen));
  return seen;
}

function observe(page: Page, seen: Misbehaviour): void {
  page.on('dialog', (dialog) => {
    seen.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') seen.errors.push(message.text());
  });
  page.on('pageerror', (error) => seen.errors.push(error.message));
}

describe('web pages in chromium', {
  skip: !existsSync(CHROMIUM) && `chromium not found at ${CHROMIUM} (apt-get install chromium)`,
}, () => {
  let scratch: string;
  let proxy: RunningProxy;
  let browser: Browser;
  let context: BrowserContext;
  let seen: Misbehaviour;

  before(async () => {
    scratch = await makeTempDir('pages-browser');
    proxy = await startPageProxy(scratch);
    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    seen = watch(context);
  });

  after(async () => {
    await browser?.close();
    await proxy?.close();
    if (scratch !== undefined) await removeDir(scratch);
  });

  test('the home page tells how to use the proxy, lists and searches the readable projects, without a git process', async (t) => {
    const page = await context.newPage();
    const started = startedChildCount();
    const response = await page.goto(`${proxy.url}/`);
    assert.equal(response?.status(), 200);
    assert.match(response?.headers()['content-security-policy'] ?? '', /default-src 'none'/);
    assert.match(await page.locator('main').innerText(), new RegExp(`GOPROXY=${proxy.url.replace(/\./g, '\\.')}\\b`));
    const projects = await page.locator('#projects ~ .scroll table').first().locator('tbody td:first-child')
      .allInnerTexts();
    assert.deepEqual(projects, ['acme/hello', 'acme/hostile']);
    await page.screenshot({ path: join(SCREENSHOTS, 'home.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(SCREENSHOTS, 'home-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });

    await page.getByLabel('Search projects').fill('HEL');
    await page.getByLabel('Search projects').press('Enter');
    await page.waitForURL(/\?q=HEL$/);
    assert.deepEqual(
      await page.locator('#projects ~ .scroll table').first().locator('tbody td:first-child').allInnerTexts(),
      [
        'acme/hello',
      ],
    );
    assert.match(await page.locator('main').innerText(), /1 of 2 projects match “HEL”/);
    assert.equal(startedChildCount(), started, 'no git process for the home page and the search');
    t.diagnostic(`screenshots in ${SCREENSHOTS}`);
    await page.close();
  });

  test('a module page and a version page, reached by links, show what the go client sees', async () => {
    const fetched = await goGet(`${HELLO}@v1.1.0`, { proxy: proxy.url });
    assert.equal(fetched.exitCode, 0, fetched.stderr);
    const goSum = fetched.goSum.split('\n').filter((line) => line.startsWith(`${HELLO} v1.1.0`)).join('\n');
    assert.equal(goSum.split('\n').length, 2);

    const page = await context.newPage();
    await page.goto(`${proxy.url}/`);
    await page.getByRole('link', { name: 'acme/hello', exact: true }).click();
    await page.waitForURL(`${proxy.url}/-/modules/${HELLO}`);
    assert.equal(await page.locator('h1').innerText(), HELLO);
    const rows = page.locator('#versions + .scroll table tbody tr');
    assert.deepEqual(await rows.locator('th').allInnerTexts(), ['v1.1.0', 'v1.0.0']);
    assert.match(await rows.nth(0).innerText(), /2024-02-03 04:05:06 UTC[\s\S]*latest[\s\S]*pinned/);
    assert.match(await rows.nth(1).innerText(), /retracted/);
    assert.equal((await page.locator('pre.go-sum').innerText()).trim(), goSum);
    assert.match(await page.locator('#go-mod + pre').innerText(), /retract v1\.0\.0/);
    const modules = await page.locator('#modules ~ ul li').allInnerTexts();
    assert.deepEqual(modules.map((item) => item.split(' ')[0]), [HELLO, `${HELLO}/tools`, `${HELLO}/v2`]);
    await page.screenshot({ path: join(SCREENSHOTS, 'module.png'), fullPage: true });

    await rows.nth(0).getByRole('link', { name: 'v1.1.0' }).click();
    await page.waitForURL(`${proxy.url}/-/modules/${HELLO}/@v/v1.1.0`);
    assert.equal((await page.locator('pre.go-sum').innerText()).trim(), goSum);
    assert.deepEqual(
      await page.locator('#files ~ .scroll table').first().locator('tbody td:first-child').allInnerTexts(),
      [
        'go.mod',
        'hello.go',
        'more.go',
      ],
    );
    const leftOut = await page.locator('#left-out + .scroll table tbody tr').allInnerTexts();
    assert.deepEqual(leftOut.map((row) => row.replace(/\s+/g, ' ').trim()).sort(), [
      'link symbolic link',
      'nested/go.mod nested module',
      'vendor/x/y.go vendored package',
    ]);
    const zipLink = page.getByRole('link', { name: '.zip' });
    assert.equal(await zipLink.getAttribute('href'), `/${HELLO}/@v/v1.1.0.zip`);
    await page.screenshot({ path: join(SCREENSHOTS, 'version.png'), fullPage: true });
    await page.close();
  });

  test('a refused version shows the reason of its .zip answer, and hostile names run no script', async () => {
    const page = await context.newPage();
    await page.goto(`${proxy.url}/-/modules/${HOSTILE}`);
    const reason = await page.locator('#versions + .scroll table tbody tr').first().locator('.refusal').innerText();
    assert.ok(
      reason.startsWith(`${HOSTILE_FILE}: malformed file path ${JSON.stringify(HOSTILE_FILE)}: invalid char`),
      reason,
    );
    const zip = await fetch(`${proxy.url}/${HOSTILE}/@v/v1.0.0.zip`);
    assert.equal(zip.status, 404);
    assert.equal(await zip.text(), `not found: ${HOSTILE}@v1.0.0: create zip: ${reason}\n`);
    assert.equal(await page.locator('#go-mod + pre').innerText(), HOSTILE_GO_MOD);
    await page.screenshot({ path: join(SCREENSHOTS, 'refused.png'), fullPage: true });

    await page.getByRole('table').getByRole('link', { name: 'v1.0.0' }).click();
    assert.match(
      await page.getByRole('alert').innerText(),
      new RegExp(`refuses this version[\\s\\S]*${reason.replace(/[()[\]]/g, '\\$&')}`),
    );
    await page.goto(`${proxy.url}/?q=${encodeURIComponent('"><script>alert(3)</script>')}`);
    assert.equal(await page.getByLabel('Search projects').inputValue(), '"><script>alert(3)</script>');
    for (const url of [`/-/modules/${HOSTILE}`, `/-/modules/${HOSTILE}/@v/v1.0.0`, `/-/modules/${HOSTILE}/@v/v0.9.0`]) {
      await page.goto(`${proxy.url}${url}`);
      assert.equal(await page.locator('img, script, svg').count(), 0, url);
    }
    assert.deepEqual(seen, { dialogs: [], errors: [] });
    await page.close();
  });

  test('at 390 and 1280 px wide, no page is wider than the screen: wide tables scroll in a box of their own', async () => {
    const paths = ['/', `/-/modules/${HELLO}`, `/-/modules/${HELLO}/@v/v1.1.0`, '/?q=hello', `/-/modules/${HOSTILE}`];
    for (const width of [390, 1280]) {
      const page = await browser.newPage({ viewport: { width, height: 800 } });
      for (const path of paths) {
        await page.goto(`${proxy.url}${path}`);
        const [scrollWidth, innerWidth] = await page.evaluate(() => [
          document.documentElement.scrollWidth,
          globalThis.innerWidth,
        ]);
        assert.ok(scrollWidth <= innerWidth, `${path} at ${width} px: ${scrollWidth} px wide`);
      }
      await page.close();
    }
  });

  test('a private project is invisible, the same 404 as a missing one, until the browser signs in with a token', async () => {
    const page = await context.newPage();
    await page.goto(`${proxy.url}/`);
    assert.doesNotMatch(await page.content(), /secret/);
    const hidden = await page.goto(`${proxy.url}/-/modules/${SECRET_MODULE}`);
    const hiddenBody = (await hidden?.text())?.replaceAll(SECRET_MODULE, 'M');
    const missing = await page.goto(`${proxy.url}/-/modules/go.localhost/acme/nothing`);
    assert.equal(hidden?.status(), 404);
    assert.equal(missing?.status(), 404);
    assert.equal(hiddenBody, (await missing?.text())?.replaceAll('go.localhost/acme/nothing', 'M'));
    await page.close();

    const signedIn = await browser.newContext({ httpCredentials: { username: 'me', password: TOKEN } });
    const mine = watch(signedIn);
    try {
      const own = await signedIn.newPage();
      observe(own, mine);
      await own.goto(`${proxy.url}/`);
      assert.doesNotMatch(await own.locator('main').innerText(), /acme\/secret/);
      await own.getByRole('link', { name: 'Sign in with a token', exact: true }).click();
      await own.waitForURL(`${proxy.url}/`);
      assert.match(await own.locator('header').innerText(), /Signed in with token reader/);
      await own.getByRole('link', { name: 'acme/secret' }).click();
      await own.waitForURL(`${proxy.url}/-/modules/${SECRET_MODULE}`);
      assert.equal(await own.locator('h1').innerText(), SECRET_MODULE);
      assert.deepEqual(mine, { dialogs: [], errors: [] });
    } finally {
      await signedIn.close();
    }
  });

  test("another origin's page cannot use a signed-in browser's token: no event tells a private version from a missing one, and nothing is pinned", async () => {
    // The attacker: a page on another port of the same host (the same site, another origin).
    const attacker = createServer((_req, res) => {
      const probes = [`${SECRET_MODULE}/@v/v1.0.0.zip`, `${SECRET_MODULE}/@v/list`, 'go.localhost/acme/nothing/@v/list']
        .map((path, i) =>
          `<script src="${proxy.url}/${path}" onload="done(${i},'load')" onerror="done(${i},'error')"></script>`
        );
      res.setHeader('Content-Type', 'text/html');
      res.end(
        `<!DOCTYPE html><script>const seen = []; function done(i, what) { seen[i] = what; if (seen.filter(Boolean).length === 3) document.title = seen.join(' '); }</script>${
          probes.join('')
        }`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const signedIn = await browser.newContext({ httpCredentials: { username: 'me', password: TOKEN } });
    try {
      const victim = await signedIn.newPage();
      await victim.goto(`${proxy.url}/?login=1`);
      assert.match(await victim.locator('header').innerText(), /Signed in with token reader/);
      await victim.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
      await victim.waitForFunction(() => document.title !== '');
      assert.equal(await victim.title(), 'error error error');
      const pins = await readFile(join(scratch, 'data', 'pins.jsonl'), 'utf8').catch(() => '');
      assert.doesNotMatch(pins, /acme\/secret/, 'the zip request pinned nothing');
      const refused = await fetch(`${proxy.url}/${SECRET_MODULE}/@v/list`, {
        headers: {
          authorization: `Basic ${Buffer.from(`me:${TOKEN}`).toString('base64')}`,
          'sec-fetch-site': 'same-site',
        },
      });
      assert.equal(refused.status, 403, 'what the browser gets for its own-credentialed cross-site request');
    } finally {
      await signedIn.close();
      await new Promise((resolve) => attacker.close(resolve));
    }
  });
});
