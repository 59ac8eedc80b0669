/**
 * Private module paths (lib/upstream/private-paths.ts): GOPRIVATE globs read as x/mod's
 * `module.MatchPrefixPatterns` reads them (cases from its `TestMatchPrefixPatterns` and Go's
 * `path.Match`), and the module host and local projects' paths, prefixes included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProjectIndex } from '../../lib/access/projects.ts';
import { resolveOptions } from '../../lib/cli/config.ts';
import { globPattern, PrivatePaths, privatePatternsError } from '../../lib/upstream/private-paths.ts';

/** An index of fixed projects: no directory is read. */
async function indexOf(projects: Record<string, string | undefined>): Promise<ProjectIndex> {
  const repositories = new Map(Object.keys(projects).map((path) => [path, `/nowhere/${path}.git`]));
  const configured = Object.entries(projects).filter(([, modulePath]) => modulePath !== undefined);
  const index = new ProjectIndex(
    resolveOptions({
      repos: '/nowhere',
      moduleHost: 'go.localhost',
      projects: configured.map(([path, modulePath]) => ({ path, modulePath })),
    }),
    { layout: 'fixed', scan: async () => ({ repositories, contested: new Map(), directories: [] }) },
  );
  await index.ready;
  return index;
}

test('GOPRIVATE globs match path prefixes element by element, as x/mod does', async () => {
  const index = await indexOf({});
  const matches = (globs: string, path: string) => new PrivatePaths(index, globs).reason(path) === 'private-pattern';
  const cases: Array<[globs: string, path: string, want: boolean]> = [
    ['*/quote', 'rsc.io/quote', true],
    ['*/quo', 'rsc.io/quote', false],
    ['rsc.io', 'rsc.io/quote', true],
    ['rsc.io/', 'rsc.io/quote', true], // a trailing slash is dropped
    ['rsc.io/quote', 'rsc.io/quote', true],
    ['rsc.io/quote/v2', 'rsc.io/quote', false], // more elements than the target
    ['rsc.io/qu*', 'rsc.io/quote/v2', true],
    ['rsc.io/q?ote', 'rsc.io/quote', true],
    ['rsc.io/q[a-z]ote', 'rsc.io/quote', true],
    ['rsc.io/q[^u]ote', 'rsc.io/quote', false],
    ['*.internal', 'git.internal/team/x', true],
    ['*.internal', 'internal/x', false],
    ['*', 'anything.example/x', true],
    ['corp.example.com,*.internal', 'corp.example.com/secret', true],
    [',,corp.example.com,', 'corp.example.com/secret', true],
    ['corp.example.com', 'corp.example.company/x', false],
    ['github.com/*/private-*', 'github.com/acme/private-lib/v2', true],
    ['github.com/*/private-*', 'github.com/acme/public-lib', false],
    ['rsc.io/\\quote', 'rsc.io/quote', true],
    ['rsc.io/[', 'rsc.io/[', false], // malformed: matches nothing
  ];
  for (const [globs, path, want] of cases) assert.equal(matches(globs, path), want, `${globs} ~ ${path}`);
});

test('malformed globs are refused by config validation, as path.Match refuses them', () => {
  for (const bad of ['a[', 'a[]b', 'a[^]b', 'trailing\\']) assert.equal(globPattern(bad), undefined, bad);
  for (const good of ['a[\\]]b', '*.x', 'x/y?z']) assert.notEqual(globPattern(good), undefined, good);
  assert.match(privatePatternsError('ok.example,bad[') ?? '', /malformed pattern "bad\["/);
  assert.equal(privatePatternsError('ok.example,*.internal,'), undefined);
});

test('the module host, local projects, their subpaths and their prefixes are private; other paths are not', async () => {
  const index = await indexOf({ 'acme/hello': undefined, 'tools/lint': 'vanity.example.org/tools/lint' });
  const paths = new PrivatePaths(index, '*.internal');
  assert.equal(paths.reason('go.localhost'), 'module-host');
  assert.equal(paths.reason('go.localhost/anything/at/all'), 'module-host');
  assert.equal(paths.reason('vanity.example.org/tools/lint'), 'local-project');
  assert.equal(paths.reason('vanity.example.org/tools/lint/v2'), 'local-project');
  assert.equal(paths.reason('vanity.example.org/tools'), 'local-project');
  assert.equal(paths.reason('vanity.example.org'), 'local-project');
  assert.equal(paths.reason('git.internal/x'), 'private-pattern');
  assert.equal(paths.reason('go.localhostile/x'), undefined);
  assert.equal(paths.reason('vanity.example.org/toolsx'), undefined);
  assert.equal(paths.reason('golang.org/x/mod'), undefined);
  index.close();
});
