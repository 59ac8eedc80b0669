/**
 * The project's own table of module zip rules: for each rule, a small file set, the files a module
 * zip made from it holds, and the `h1:` hash of that zip. It covers every rule x/mod's zip test
 * vectors cover (`golang.org/x/mod/zip/testdata/{create,create_from_dir,unzip}`), in other files,
 * so the suite needs nothing outside the repository.
 *
 * Unit tests run the file sets through the zip rules and the hash; e2e/zip-fidelity.test.ts builds
 * one repository per case and has the real go command fetch it in direct mode, which must compute
 * the same hash (except where `goCommand` says why a Go 1.19 client cannot).
 *
 * The rules, as `golang.org/x/mod/zip/zip.go` states them (`CreateFromVCS`, `checkFiles`,
 * `isVendoredPackage`) and `cmd/go/internal/modfetch/coderepo.go` applies them to a git tree:
 * - vendored packages are left out: every file below `vendor/<dir>/`, and, through a quirk of the
 *   original rule (golang.org/issue/37397), every file below a nested `vendor/` directory, even
 *   directly in it; `vendor/modules.txt` and files directly in `vendor/` stay (golang.org/issue/31562);
 * - from a root `go 1.24` directive on, the vendor rule is corrected (golang.org/issue/63395):
 *   `vendor/modules.txt` goes too, and a nested `vendor/` only counts below a further directory;
 * - a directory holding a `go.mod` of any letter case is another module and is left out whole,
 *   without its file names being checked;
 * - a directory named `go.mod` does not make a module;
 * - a zip made from git keeps `.bzr/`, `.hg/`, `.svn/` (only zips made from a directory walk drop
 *   VCS directories; git cannot hold a `.git/` path at all);
 * - a module with no files at all has the hash of nothing.
 */
import { DIRECT_HOST } from './go-client.ts';

/** One rule, shown on one module version. */
export interface ZipRuleCase {
  /** Short name; also the last element of the repository path `zip/rules/<name>`. */
  readonly name: string;
  /** The rule the case shows, for test names. */
  readonly rule: string;
  /** `direct.test/zip/rules/<name>`: what the direct-mode oracle and the proxy serve it as. */
  readonly modulePath: string;
  readonly version: string;
  /** Every file of the version's tree (all regular files), path → text. */
  readonly files: Readonly<Record<string, string>>;
  /** The files its module zip holds, in `files` order. */
  readonly kept: readonly string[];
  /** `dirhash.Hash1` of the zip, as go.sum records it. */
  readonly hash: string;
  /** Absent: a Go 1.19 client in direct mode computes `hash` itself. Present: why it cannot. */
  readonly goCommand?: string;
}

/** The hash of a zip with no files: SHA-256 of the empty text. */
export const EMPTY_ZIP_HASH = 'h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

const VERSION = 'v1.0.0';

function modulePathOf(name: string): string {
  return `${DIRECT_HOST}/zip/rules/${name}`;
}

function goMod(name: string, go: string): string {
  return `module ${modulePathOf(name)}\n\ngo ${go}\n`;
}

function ruleCase(
  name: string,
  rule: string,
  files: Record<string, string>,
  kept: readonly string[],
  hash: string,
  goCommand?: string,
): ZipRuleCase {
  return {
    name,
    rule,
    modulePath: modulePathOf(name),
    version: VERSION,
    files,
    kept,
    hash,
    ...(goCommand === undefined ? {} : { goCommand }),
  };
}

export const ZIP_RULE_CASES: readonly ZipRuleCase[] = [
  ruleCase(
    'plain',
    'a module with a go.mod, a package and a command keeps every file',
    {
      'go.mod': goMod('plain', '1.19'),
      'count.go':
        'package plain\n\n// Count returns how many words s holds.\nfunc Count(s string) int { return len(s) }\n',
      'cmd/count/main.go': 'package main\n\nfunc main() {}\n',
    },
    ['go.mod', 'count.go', 'cmd/count/main.go'],
    'h1:R/2zvkcs2Aw+ho5E90KBhTy0q5KXFfGqBPBCLbTARFA=',
  ),
  ruleCase('nothing', 'a module without any file hashes to the hash of nothing', {}, [], EMPTY_ZIP_HASH),
  ruleCase(
    'vendored',
    'original vendor rule: vendored packages and every file below a nested vendor/ go; modules.txt and files directly in vendor/ stay',
    {
      'go.mod': goMod('vendored', '1.19'),
      'vendor/modules.txt': '# example.org/dep v1.2.3\n',
      'vendor/notes.txt': 'directly in vendor/: kept\n',
      'vendor/example.org/dep/dep.go': 'package dep\n',
      'tools/vendor/list.txt': 'in a nested vendor/: dropped by the quirk\n',
      'lib/vendor/lib.go': 'package vendor\n',
      'lib/vendor/deeper/d.go': 'package deeper\n',
      'vendorish/v.go': 'package vendorish\n',
      'vendor.go': 'package vendored\n',
    },
    ['go.mod', 'vendor/modules.txt', 'vendor/notes.txt', 'vendorish/v.go', 'vendor.go'],
    'h1:sVw2ho9Zei2DKoKL1VtC5pgZF8/IGG+Vsql2o7Vbrlo=',
  ),
  ruleCase(
    'vendored-go124',
    'Go 1.24 vendor rule (root go.mod says go 1.24): modules.txt goes too, a nested vendor/ counts only below a further directory',
    {
      'go.mod': goMod('vendored-go124', '1.24'),
      'vendor/modules.txt': '# example.org/dep v1.2.3\n',
      'vendor/example.org/dep/dep.go': 'package dep\n',
      'tools/vendor/list.txt': 'in a nested vendor/: kept by the corrected rule\n',
      'lib/vendor/lib.go': 'package vendor\n',
      'lib/vendor/deeper/d.go': 'package deeper\n',
    },
    ['go.mod', 'tools/vendor/list.txt', 'lib/vendor/lib.go'],
    'h1:gwJ5+GWhG2k5CdAk6aW+twKvG3W32zH0ovQvp2nIbjA=',
    'a Go 1.19 client applies the original vendor rule whatever the go directive says',
  ),
  ruleCase(
    'nested',
    'a directory with its own go.mod is another module: left out whole, its bad file names unread',
    {
      'go.mod': goMod('nested', '1.19'),
      'outer.go': 'package nested\n',
      'inner/go.mod': `module ${modulePathOf('nested')}/inner\n`,
      'inner/inner.go': 'package inner\n',
      "inner/quote'd.go": 'a name x/mod would refuse, but nothing reads it\n',
      'innerish/i.go': 'package innerish\n',
    },
    ['go.mod', 'outer.go', 'innerish/i.go'],
    'h1:BCQ8ucn70u5wJR0Aq8X6CJBbuD7p1rj99sRmvFntFzk=',
  ),
  ruleCase(
    'nested-caps',
    'a GO.MOD in capitals marks a nested module too, even without a root go.mod',
    {
      'top.go': 'package top\n',
      'part/GO.MOD': 'MODULE SOMEWHERE.ELSE/PART\n',
      'part/part.go': 'package part\n',
    },
    ['top.go'],
    'h1:+zRGVJyJAv16KLBDbcf9aRY6/oST1jJmGJq1EjUU+Jo=',
  ),
  ruleCase(
    'go-mod-dir',
    'a directory named go.mod is an ordinary directory',
    { 'go.mod/inside.go': 'package inside\n' },
    ['go.mod/inside.go'],
    'h1:l1hi5jWRvlBU2bFuhzxYcxE4jbZH9Jasr9fY/nbPgdQ=',
  ),
  ruleCase(
    'vcs-dirs',
    'a zip made from git keeps .bzr/, .hg/ and .svn/ directories',
    {
      'go.mod': goMod('vcs-dirs', '1.19'),
      '.bzr/branch-format': 'bazaar\n',
      '.hg/requires': 'store\n',
      '.svn/entries': '12\n',
    },
    ['go.mod', '.bzr/branch-format', '.hg/requires', '.svn/entries'],
    'h1:KRMgt5ZWim1yXDU11s4S2DIbhwOYN2sF/eueLmNALbM=',
  ),
];
