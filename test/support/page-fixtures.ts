/**
 * Repositories for the web page tests: a public module with versions, a retraction, a vendor
 * directory, a nested module, a symbolic link, a submodule module and a /v2 major version; a public
 * module with hostile names (a refused version, a go.mod holding markup, tags with quotes); and a
 * private module only a token may read.
 */
import { join } from 'node:path';
import { hashToken } from '../../lib/access/auth.ts';
import { createRepo } from './git-fixture.ts';
import { type RunningProxy, startProxy } from './proxy-server.ts';

export const HELLO = 'go.localhost/acme/hello';
export const HOSTILE = 'go.localhost/acme/hostile';
export const SECRET_MODULE = 'go.localhost/acme/secret';
/** A file name x/mod refuses, which would run a script if a page put it into HTML as it is. */
export const HOSTILE_FILE = '<img src=x onerror=alert(1)>.go';
export const HOSTILE_GO_MOD = `module ${HOSTILE}\n\n// <script>alert("go.mod")</script>\ngo 1.19\n`;

/** The token (named `reader`) that grants `acme/secret`. */
export const SECRET_TOKEN = 'ggp_pages-reader';

/** Builds the repositories below `<scratch>/repos` and serves them: every project public but `acme/secret`, which `SECRET_TOKEN` grants. */
export async function startPageProxy(scratch: string): Promise<RunningProxy> {
  const repos = join(scratch, 'repos');
  await buildPageFixtures(repos);
  return startProxy({
    repos,
    dataDir: join(scratch, 'data'),
    defaultVisibility: 'public',
    projects: [{ path: 'acme/secret', visibility: 'private' }],
    tokens: [{ name: 'reader', sha256: hashToken(SECRET_TOKEN), grants: ['acme/secret'] }],
  });
}

async function buildPageFixtures(repos: string): Promise<void> {
  const hello = await createRepo(repos, 'acme/hello');
  const goMod = `module ${HELLO}\n\ngo 1.19\n`;
  await hello.commit({
    'go.mod': goMod,
    'hello.go': 'package hello\n',
    'vendor/x/y.go': 'package x\n',
    'nested/go.mod': 'module other\n',
    link: { symlink: 'hello.go' },
  }, { date: '2024-01-02T03:04:05Z' });
  await hello.tag('v1.0.0');
  await hello.commit({
    'go.mod': `${goMod}\nretract v1.0.0 // broken\n`,
    'more.go': 'package hello\n\nconst More = 1\n',
  }, { date: '2024-02-03T04:05:06Z' });
  await hello.tag('v1.1.0');
  await hello.commit({ 'tools/go.mod': `module ${HELLO}/tools\n\ngo 1.19\n`, 'tools/tools.go': 'package tools\n' }, {
    date: '2024-03-04T05:06:07Z',
  });
  await hello.tag('tools/v0.1.0');
  await hello.commit({ 'go.mod': `module ${HELLO}/v2\n\ngo 1.19\n` }, { date: '2024-04-05T06:07:08Z' });
  await hello.tag('v2.0.0');

  const hostile = await createRepo(repos, 'acme/hostile');
  await hostile.commit({ 'go.mod': HOSTILE_GO_MOD, 'ok.go': 'package hostile\n' }, { date: '2024-01-02T03:04:05Z' });
  await hostile.tag('v0.9.0');
  await hostile.commit({ [HOSTILE_FILE]: 'package hostile\n' }, { date: '2024-02-03T04:05:06Z' });
  await hostile.tag('v1.0.0');
  await hostile.tag('x"y');
  await hostile.tag('"><svg/onload=alert(2)>/v1.0.0');

  const secret = await createRepo(repos, 'acme/secret');
  await secret.commit({ 'go.mod': `module ${SECRET_MODULE}\n\ngo 1.19\n`, 'secret.go': 'package secret\n' }, {
    date: '2024-01-02T03:04:05Z',
  });
  await secret.tag('v1.0.0');
}
