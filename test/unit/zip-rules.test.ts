/**
 * The module zip rules (lib/zip/rules.ts) without git: which files of a tree a module zip keeps,
 * which trees are refused and why, the vendor rules old and new, nested modules, names, case
 * folding, sizes, LICENSE inheritance. The project's own rule table (test/support/zip-rule-cases.ts)
 * must hash to its recorded values; x/mod's own vectors are checked too when they sit beside the
 * project (skipped with a note otherwise).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hash1, sha256Hex } from '../../lib/zip/hash.ts';
import { strToFold } from '../../lib/zip/fold.ts';
import {
  gitRefusesPath,
  inheritedLicense,
  isVendoredPackage,
  MAX_LICENSE,
  MAX_ZIP_FILE,
  planModuleZip,
  SizeCheck,
  type TreeFile,
  type ZipPlan,
  type ZipRuleOptions,
} from '../../lib/zip/rules.ts';
import { MAX_GO_MOD } from '../../lib/modules/gomod.ts';
import { goDirective } from '../../lib/modules/gomod-lax.ts';
import { readZipVectors, type TxtarFile, X_MOD_SKIP } from '../support/txtar.ts';
import { EMPTY_ZIP_HASH, ZIP_RULE_CASES } from '../support/zip-rule-cases.ts';

/**
 * The hash a Go 1.19 client computes for x/mod's exclude_vendor_go124 file set: it applies the
 * original vendor rule, which keeps vendor/modules.txt and drops the nested vendor files.
 */
const GO124_SET_UNDER_ORIGINAL_RULE = 'h1:0v0+J5B0mFw3cpLlZcSKolH6uvVpIgKjfwf4MJUaouw=';

const file = (path: string, size = 1): TreeFile => ({ path, mode: '100644', size });
const symlink = (path: string): TreeFile => ({ path, mode: '120000', size: 7 });
const gitlink = (path: string): TreeFile => ({ path, mode: '160000', size: 0 });

function keptPaths(files: readonly TreeFile[], options?: ZipRuleOptions): string[] {
  const plan = planModuleZip(files, options);
  assert.ok(plan.ok, `expected a zip, got: ${plan.ok ? '' : plan.reason}`);
  return plan.files.map((kept) => kept.path);
}

function refusal(files: readonly TreeFile[], options?: ZipRuleOptions): string {
  const plan = planModuleZip(files, options);
  assert.ok(
    !plan.ok,
    `expected a refusal, got files ${plan.ok ? JSON.stringify(plan.files.map((kept) => kept.path)) : ''}`,
  );
  return plan.reason;
}

/** A module version's files (all regular), from the rule table or an x/mod vector. */
interface FileSet {
  readonly modulePath: string;
  readonly version: string;
  readonly files: readonly TxtarFile[];
}

function ruleCaseFiles(files: Readonly<Record<string, string>>): TxtarFile[] {
  return Object.entries(files).map(([name, text]) => ({ name, data: Buffer.from(text) }));
}

/** Runs a file set through the rules and hashes what is kept, as zip.Create + HashZip. */
function planAndHash(set: FileSet, options: ZipRuleOptions): { plan: ZipPlan; hash: string } {
  const data = new Map(set.files.map((entry) => [entry.name, entry.data]));
  const plan = planModuleZip(set.files.map((entry) => file(entry.name, entry.data.length)), options);
  const hash = new Hash1();
  if (plan.ok) {
    for (const kept of plan.files) {
      hash.add(`${set.modulePath}@${set.version}/${kept.path}`, sha256Hex(data.get(kept.path)!));
    }
  }
  return { plan, hash: hash.digest() };
}

/** The rule options a root go.mod selects (its go directive). */
function goVersionOf(set: FileSet): ZipRuleOptions {
  const goMod = set.files.find((entry) => entry.name === 'go.mod');
  return goMod === undefined ? {} : { goVersion: goDirective(goMod.data.toString('utf8')) };
}

for (const ruleCase of ZIP_RULE_CASES) {
  test(`zip rule table, ${ruleCase.name}: ${ruleCase.rule}`, () => {
    const set = { ...ruleCase, files: ruleCaseFiles(ruleCase.files) };
    const { plan, hash } = planAndHash(set, goVersionOf(set));
    assert.ok(plan.ok, plan.ok ? '' : plan.reason);
    assert.deepEqual(plan.files.map((kept) => kept.path), ruleCase.kept);
    assert.equal(hash, ruleCase.hash);
  });
}

test('zip rule table: the Go 1.24 case keeps other files under the original rule, so its hash differs', () => {
  const ruleCase = ZIP_RULE_CASES.find((each) => each.name === 'vendored-go124')!;
  const set = { ...ruleCase, files: ruleCaseFiles(ruleCase.files) };
  assert.equal(goVersionOf(set).goVersion, '1.24');
  const original = planAndHash(set, {});
  assert.ok(original.plan.ok);
  assert.deepEqual(original.plan.files.map((kept) => kept.path), ['go.mod', 'vendor/modules.txt']);
  assert.notEqual(original.hash, ruleCase.hash);
});

test('zip rule table: a .git path cannot be archived from git, unlike .bzr, .hg and .svn', () => {
  assert.equal(refusal([file('go.mod'), file('.git/config')]), "invalid path '.git/config': git refuses to archive it");
  assert.deepEqual(keptPaths([file('.bzr/x'), file('.hg/x'), file('.svn/x')]), ['.bzr/x', '.hg/x', '.svn/x']);
});

test('x/mod create vectors: kept files hash to the recorded hash', { skip: X_MOD_SKIP }, () => {
  const vectors = readZipVectors('create');
  assert.ok(vectors.length >= 7, 'expected the create vectors beside the project');
  for (const vector of vectors) {
    const { plan, hash } = planAndHash(vector, goVersionOf(vector));
    assert.ok(plan.ok, vector.id);
    assert.equal(hash, vector.hash, vector.id);
  }
});

test(
  'x/mod create_from_dir vectors agree, except that git-derived zips keep VCS directories',
  { skip: X_MOD_SKIP },
  () => {
    for (const vector of readZipVectors('create_from_dir')) {
      const { plan, hash } = planAndHash(vector, goVersionOf(vector));
      if (vector.id === 'create_from_dir/exclude_vcs.txt') {
        // Only directory walking drops .bzr/.git/.hg/.svn; zip.Create keeps what git archive lists,
        // and git archive refuses a `.git` path outright.
        assert.equal(vector.hash, EMPTY_ZIP_HASH);
        assert.ok(!plan.ok && plan.reason === "invalid path '.git/exclude': git refuses to archive it", vector.id);
        const withoutGit = vector.files.filter((entry) => !entry.name.startsWith('.git/')).map((entry) =>
          file(entry.name)
        );
        assert.deepEqual(keptPaths(withoutGit), ['.bzr/exclude', '.hg/exclude', '.svn/exclude']);
      } else {
        assert.ok(plan.ok, vector.id);
        assert.equal(hash, vector.hash, vector.id);
      }
    }
  },
);

test(
  'exclude_vendor_go124 hashes differently under the original rule a Go 1.19 client uses',
  { skip: X_MOD_SKIP },
  () => {
    const vector = readZipVectors('create').find((each) => each.id === 'create/exclude_vendor_go124.txt')!;
    assert.equal(goVersionOf(vector).goVersion, '1.24');
    assert.equal(planAndHash(vector, {}).hash, GO124_SET_UNDER_ORIGINAL_RULE);
    const { plan } = planAndHash(vector, { goVersion: '1.24' });
    assert.ok(plan.ok);
    assert.deepEqual(plan.files.map((kept) => kept.path), ['go.mod', 'sub/vendor/sub.txt', 'pkg/vendor/vendor.go']);
  },
);

test('isVendoredPackage, original rule: everything below a nested vendor directory is dropped', () => {
  const cases: [string, boolean][] = [
    ['vendor/modules.txt', false],
    ['vendor/v.go', false],
    ['vendor/a/b.go', true],
    ['vendor/example.com/x/x.go', true],
    ['pkg/vendor/vendor.go', true], // the quirk: offset 8 of the path, not of the match
    ['x/vendor/y.go', true],
    ['sub/vendor/sub.txt', true],
    ['pkg/vendor/foo/foo.go', true],
    ['vendorx/a/b.go', false],
    ['a/vendor', false],
    ['a/myvendor/b.go', false],
    ['Vendor/a/b.go', false],
    ['vendor', false],
  ];
  for (const [path, vendored] of cases) assert.equal(isVendoredPackage(path, 'original'), vendored, path);
});

test('isVendoredPackage, Go 1.24 rule: modules.txt dropped, nested vendor only below a further directory', () => {
  const cases: [string, boolean][] = [
    ['vendor/modules.txt', true],
    ['vendor/v.go', false],
    ['vendor/a/b.go', true],
    ['pkg/vendor/vendor.go', false],
    ['sub/vendor/sub.txt', false],
    ['pkg/vendor/foo/foo.go', true],
    ['a/vendor/b/vendor/c.go', true],
    ['a/b/vendor/c.go', false],
    ['x/vendor/modules.txt', false],
  ];
  for (const [path, vendored] of cases) assert.equal(isVendoredPackage(path, 'go1.24'), vendored, path);
});

test('the go directive selects the vendor rule only from 1.24 and only with a regular root go.mod', () => {
  const tree = [file('go.mod'), file('vendor/modules.txt'), file('pkg/vendor/v.go')];
  const newRule = ['go.mod', 'pkg/vendor/v.go'];
  const original = ['go.mod', 'vendor/modules.txt'];
  for (const goVersion of ['1.24', '1.24.3', '1.24rc1', '1.25', '2.0', '2']) {
    assert.deepEqual(keptPaths(tree, { goVersion }), newRule, goVersion);
  }
  for (const goVersion of [undefined, '1.23', '1.23.9', '1.2', 'v1.24', '1.024', '1.24.1rc1', '', 'go1.24']) {
    assert.deepEqual(keptPaths(tree, { goVersion }), original, String(goVersion));
  }
  const noGoMod = [file('vendor/modules.txt'), file('pkg/vendor/v.go')];
  assert.deepEqual(keptPaths(noGoMod, { goVersion: '1.24' }), ['vendor/modules.txt']);
  const linkedGoMod = [symlink('go.mod'), file('vendor/modules.txt'), file('pkg/vendor/v.go')];
  assert.deepEqual(keptPaths(linkedGoMod, { goVersion: '1.24' }), ['vendor/modules.txt']);
});

test('nested modules: a directory holding a regular go.mod in any case is dropped whole', () => {
  assert.deepEqual(
    keptPaths([
      file('go.mod'),
      file('a.go'),
      file('sub/go.mod'),
      file('sub/x.go'),
      file('sub/deep/y.go'),
      file('subx/z.go'),
    ]),
    ['go.mod', 'a.go', 'subx/z.go'],
  );
  assert.deepEqual(keptPaths([file('a.go'), file('b/GO.MOD'), file('b/b.go')]), ['a.go']);
  assert.deepEqual(keptPaths([file('a.go'), file('b/c/Go.Mod'), file('b/c/d.go'), file('b/e.go')]), ['a.go', 'b/e.go']);
  // A symlinked or directory "go.mod" does not make a module root; a gitlink is not even listed.
  assert.deepEqual(keptPaths([file('a.go'), symlink('b/go.mod'), file('b/b.go')]), ['a.go', 'b/b.go']);
  assert.deepEqual(keptPaths([file('go.mod/a.go'), file('b.go')]), ['go.mod/a.go', 'b.go']);
  assert.deepEqual(keptPaths([file('a.go'), gitlink('b/go.mod'), file('b/b.go')]), ['a.go', 'b/b.go']);
});

test('omitted files are never name-checked: vendored and nested-module files with bad names pass', () => {
  assert.deepEqual(keptPaths([file('go.mod'), file('vendor/x/b:c.go'), file('sub/go.mod'), file("sub/x.go'")]), [
    'go.mod',
  ]);
});

test('.hg_archival.txt is dropped at the root only', () => {
  assert.deepEqual(keptPaths([file('.hg_archival.txt'), file('a/.hg_archival.txt')]), ['a/.hg_archival.txt']);
});

test('invalid names refuse the whole zip, with the file and the reason', () => {
  for (
    const path of [
      'aux.go',
      'a/CON',
      "bad.go'",
      'a;b.go',
      'a.',
      'a/b:c.go',
      'tab\there.go',
      '.',
      '..',
      '../a.go',
      '...',
    ]
  ) {
    const reason = refusal([file('ok.go'), file(path)]);
    assert.ok(reason.startsWith(`${path}: malformed file path ${JSON.stringify(path)}: `), reason);
  }
  assert.deepEqual(
    keptPaths([file('aux_test.go'), file('COM0'), file('trailing space '), file('-dash'), file('.dot')]),
    [
      'aux_test.go',
      'COM0',
      'trailing space ',
      '-dash',
      '.dot',
    ],
  );
});

test('paths git refuses to archive (core.protectNTFS, checked against git 2.39) refuse the zip before x/mod’s rules', () => {
  for (
    const entry of [
      file('GIT~1/x'),
      file('a/Git~1.. /b'),
      file('git~1 '),
      file('.git. /x'),
      file('.GIT/x'),
      file('vendor/a/git~1/x.go'),
      symlink('x/gi7eba~1'),
      symlink('GITMOD~4. '),
      symlink('.gitmodules'),
    ]
  ) {
    assert.ok(gitRefusesPath(entry), entry.path);
  }
  for (
    const entry of [
      file('GIT~2/x'),
      file('gitmod~1'),
      symlink('gitmod~5'),
      file('.gitmodules'),
      file('.github/x'),
      file('git~1x'),
      file('my.git/x'),
    ]
  ) {
    assert.ok(!gitRefusesPath(entry), entry.path);
  }
  assert.equal(
    refusal([file('go.mod'), file('sub/go.mod'), file('sub/GIT~1/x.go')]),
    "invalid path 'sub/GIT~1/x.go': git refuses to archive it",
  );
  assert.deepEqual(keptPaths([file('go.mod'), file('GIT~2/x.go')]), ['go.mod', 'GIT~2/x.go']);
});

test('paths that are not clean or not relative are refused before any other rule', () => {
  for (const path of ['a//b.go', './a.go', 'a/../b.go', 'a/', '', 'a/..', 'vendor/../x/y.go']) {
    assert.equal(refusal([file(path)]), `${path}: file path is not clean`, JSON.stringify(path));
  }
  assert.equal(refusal([file('/abs.go')]), '/abs.go: file path is not relative');
  assert.deepEqual(
    keptPaths([file('.a.go'), file('a/.b/..c')]),
    ['.a.go', 'a/.b/..c'],
    'names that begin with dots are clean',
  );
  assert.match(refusal([file('a/b..')]), /trailing dot in path element/);
});

test('the root go.mod must be lower-case; elsewhere GO.MOD marks a nested module', () => {
  assert.equal(refusal([file('GO.MOD')]), 'GO.MOD: go.mod files must have lowercase names');
  assert.equal(refusal([file('Go.mod'), file('a.go')]), 'Go.mod: go.mod files must have lowercase names');
});

test('case collisions use Go simple folding, including symbolic links that are then dropped', () => {
  assert.match(
    refusal([file('m.go'), file('M.GO')]),
    /^M\.GO: case-insensitive file name collision: "m\.go" and "M\.GO"$/,
  );
  assert.match(refusal([file('README'), symlink('readme')]), /collision/);
  assert.match(
    refusal([file('a/b.go'), file('A/c.go')]),
    /^A\/c\.go: case-insensitive file name collision: "a" and "A"$/,
  );
  // Below directories seen before, at any depth, and with the same spelling up to the differing one.
  const deep = 'd/'.repeat(200);
  assert.match(
    refusal([file(`${deep}x/1.go`), file(`${deep}x/2.go`), file(`${deep}X/3.go`)]),
    /case-insensitive file name collision: ".*\/x" and ".*\/X"$/,
  );
  assert.match(
    refusal([file('p/q/r/1.go'), file('p/q/r/2.go'), file('p/Q/r/3.go')]),
    /collision: "p\/q\/r" and "p\/Q\/r"$/,
  ); // the nearest parent first, as x/mod walks up
  assert.match(refusal([file('p/q/r/1.go'), file('p/q')]), /entry "p\/q" is both a file and a directory$/);
  assert.match(refusal([file('\u212A.go'), file('k.go')]), /collision/); // KELVIN SIGN folds with k
  assert.match(refusal([file('\u017F.go'), file('S.go')]), /collision/); // LONG S folds with s
  assert.match(refusal([file('\u03C3.go'), file('\u03C2.go')]), /collision/); // σ and final ς
  assert.deepEqual(keptPaths([file('\u00DF.go'), file('ss.go')]), ['\u00DF.go', 'ss.go']); // no full folding
  assert.deepEqual(keptPaths([file('\u0130.go'), file('i.go')]), ['\u0130.go', 'i.go']); // İ is its own orbit
});

test('a path that is both a file and a directory, or listed twice, is refused', () => {
  assert.match(
    refusal([file('a.go'), file('a.go/b.go')]),
    /^a\.go\/b\.go: entry "a\.go" is both a file and a directory$/,
  );
  assert.match(refusal([file('a/b.go'), file('a')]), /^a: entry "a" is both a file and a directory$/);
  assert.match(refusal([file('a.go'), file('a.go')]), /^a\.go: multiple entries for file "a\.go"$/);
  assert.deepEqual(keptPaths([file('a/b.go'), file('a/c.go'), file('a/d/e.go')]), ['a/b.go', 'a/c.go', 'a/d/e.go']);
});

test('strToFold equals Go strings.EqualFold where toLowerCase does not', () => {
  assert.equal(strToFold('\u212A'), 'k');
  assert.equal(strToFold('K'), 'k');
  assert.equal(strToFold('\u017F'), strToFold('s'));
  assert.equal(strToFold('\u03C2'), strToFold('\u03A3'));
  assert.notEqual('\u017F'.toLowerCase(), 's'.toLowerCase());
  assert.notEqual(strToFold('\u0130'), strToFold('i'));
  assert.notEqual(strToFold('\u00DF'), strToFold('ss'));
  assert.equal(strToFold('\u00C0b/C'), '\u00C0b/c'); // the orbit's smallest rune, then A–Z lowered
  assert.equal(strToFold('\u00E0'), '\u00C0');
  assert.equal(strToFold('\u{10400}'), strToFold('\u{10428}')); // Deseret, outside the BMP
  assert.equal(strToFold('plain/path.go'), 'plain/path.go');
});

test('symbolic links, gitlinks and other non-regular entries are dropped', () => {
  assert.deepEqual(
    keptPaths([file('a.go'), symlink('link.go'), gitlink('sub'), { path: 'odd', mode: '100755', size: 1 }]),
    ['a.go', 'odd'],
  );
  assert.deepEqual(keptPaths([file('a.go'), { path: 'weird', mode: '000000', size: 1 }]), ['a.go']);
  // A gitlink is not in the archive, so it collides with nothing.
  assert.deepEqual(keptPaths([gitlink('Sub'), file('sub/a.go')]), ['sub/a.go']);
  assert.deepEqual(keptPaths([{ path: 'Dir', mode: '040000', size: 0 }, file('dir/a.go')]), ['dir/a.go']);
});

test('sizes: 500 MiB in all, 16 MiB for the root go.mod and LICENSE', () => {
  const half = MAX_ZIP_FILE / 2;
  const full = planModuleZip([file('a', half), file('b', half)]);
  assert.ok(full.ok && full.size === MAX_ZIP_FILE);
  assert.equal(
    refusal([file('a', half), file('b', half), file('c', 1)]),
    `module source tree too large (max size is ${MAX_ZIP_FILE} bytes)`,
  );
  // Omitted files do not count.
  assert.deepEqual(keptPaths([file('a', MAX_ZIP_FILE), file('vendor/x/big', MAX_ZIP_FILE), symlink('s')]), ['a']);
  assert.deepEqual(
    keptPaths([file('go.mod', MAX_GO_MOD), file('LICENSE', MAX_LICENSE), file('sub/LICENSE', MAX_LICENSE + 1)]),
    [
      'go.mod',
      'LICENSE',
      'sub/LICENSE',
    ],
  );
  assert.equal(
    refusal([file('go.mod', MAX_GO_MOD + 1)]),
    `go.mod: go.mod file too large (max size is ${MAX_GO_MOD} bytes)`,
  );
  assert.equal(
    refusal([file('LICENSE', MAX_LICENSE + 1)]),
    `LICENSE: LICENSE file too large (max size is ${MAX_LICENSE} bytes)`,
  );
  // The total error wins over an invalid file, as CheckedFiles.Err reports it first.
  assert.match(refusal([file('aux.go'), file('a', MAX_ZIP_FILE), file('b', 1)]), /^module source tree too large/);
});

/** The plan made as a first download makes it: names first, then the size rules over the kept files. */
function namesThenSizes(files: readonly TreeFile[]): ZipPlan {
  const names = planModuleZip(files.map((each) => ({ ...each, size: 0 })), { sizesUnknown: true });
  if (!names.ok) return names;
  const sizes = new SizeCheck();
  const kept = names.files.map((each) => files.find((listed) => listed.path === each.path)!);
  for (const each of kept) sizes.add(each);
  return sizes.refusal === undefined
    ? { ok: true, files: kept, size: sizes.total, omitted: names.omitted }
    : { ok: false, reason: sizes.refusal };
}

test('sizes decided after the names (sizesUnknown, then SizeCheck) give the plan made with sizes', () => {
  const half = MAX_ZIP_FILE / 2;
  const sets: TreeFile[][] = [
    [file('a', half), file('b', half)],
    [file('a', half), file('b', half), file('c', 1)],
    [file('a', MAX_ZIP_FILE), file('vendor/x/big', MAX_ZIP_FILE), symlink('s')],
    [file('go.mod', MAX_GO_MOD), file('LICENSE', MAX_LICENSE), file('sub/LICENSE', MAX_LICENSE + 1)],
    [file('go.mod', MAX_GO_MOD + 1), file('LICENSE', MAX_LICENSE + 1)],
    [file('LICENSE', MAX_LICENSE + 1), file('go.mod', MAX_GO_MOD + 1)],
    [file('LICENSE', MAX_LICENSE + 1), file('a', MAX_ZIP_FILE)],
    [file('z.go', 3), file('go.mod', 10), file('a/b.go', 5)],
  ];
  for (const files of sets) {
    assert.deepEqual(
      namesThenSizes(files),
      planModuleZip(files),
      JSON.stringify(files.map((each) => each.path)),
    );
  }
  // An invalid name refuses before any size is known; the caller plans again with sizes for the message.
  assert.equal(planModuleZip([file('aux.go'), file('a', 0)], { sizesUnknown: true }).ok, false);
});

test('a zip is planned in input order with its total size', () => {
  const plan = planModuleZip([file('z.go', 3), file('go.mod', 10), file('a/b.go', 5)]);
  assert.deepEqual(plan, {
    ok: true,
    files: [file('z.go', 3), file('go.mod', 10), file('a/b.go', 5)],
    size: 18,
    omitted: [],
  });
  assert.deepEqual(planModuleZip([]), { ok: true, files: [], size: 0, omitted: [] });
});

test('LICENSE inheritance: only for subdirectory modules without an own LICENSE entry', () => {
  const rootLicense = file('LICENSE', 1067);
  const inherited = { path: 'LICENSE', mode: '100644', size: 1067 };
  assert.deepEqual(inheritedLicense([file('go.mod')], true, rootLicense), inherited);
  assert.equal(inheritedLicense([file('go.mod')], false, rootLicense), undefined);
  assert.equal(inheritedLicense([file('go.mod')], true, undefined), undefined);
  assert.equal(inheritedLicense([file('go.mod'), file('LICENSE', 5)], true, rootLicense), undefined);
  // Only the exact name counts.
  assert.deepEqual(
    inheritedLicense([file('LICENSE.md'), file('license'), file('docs/LICENSE')], true, rootLicense),
    inherited,
  );
});

test('LICENSE inheritance: symbolic links and gitlinks, as the go command sees them', () => {
  // The module's own LICENSE symlink counts as present, so nothing is inherited and the zip has none.
  const ownLink = [file('go.mod'), symlink('LICENSE')];
  assert.equal(inheritedLicense(ownLink, true, file('LICENSE', 1067)), undefined);
  assert.deepEqual(keptPaths(ownLink), ['go.mod']);
  // A root LICENSE symlink is inherited as its blob: the target path's bytes.
  assert.deepEqual(inheritedLicense([file('go.mod')], true, symlink('LICENSE')), {
    path: 'LICENSE',
    mode: '100644',
    size: 7,
  });
  // A gitlink is no blob at the root, and no LICENSE entry in the module.
  assert.equal(inheritedLicense([file('go.mod')], true, gitlink('LICENSE')), undefined);
  assert.deepEqual(inheritedLicense([gitlink('LICENSE')], true, file('LICENSE', 3)), {
    path: 'LICENSE',
    mode: '100644',
    size: 3,
  });
});

test('an inherited LICENSE is held to the 16 MiB limit', () => {
  const license = inheritedLicense([file('go.mod')], true, file('LICENSE', MAX_LICENSE + 1))!;
  assert.match(refusal([file('go.mod'), license]), /^LICENSE: LICENSE file too large/);
});

test('a plan names the files it leaves out, and why', () => {
  const plan = planModuleZip([
    file('go.mod'),
    file('a.go'),
    file('vendor/x/y.go'),
    file('sub/go.mod'),
    file('sub/s.go'),
    file('.hg_archival.txt'),
    symlink('link'),
    gitlink('module'),
  ]);
  assert.ok(plan.ok);
  assert.deepEqual(plan.files.map((kept) => kept.path), ['go.mod', 'a.go']);
  assert.deepEqual(plan.omitted, [
    { path: 'module', reason: 'submodule' },
    { path: 'vendor/x/y.go', reason: 'vendored package' },
    { path: 'sub/go.mod', reason: 'nested module' },
    { path: 'sub/s.go', reason: 'nested module' },
    { path: '.hg_archival.txt', reason: 'Mercurial archive file' },
    { path: 'link', reason: 'symbolic link' },
  ]);
});
