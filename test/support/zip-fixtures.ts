/**
 * Repositories that exercise every rule of a module zip (`golang.org/x/mod/zip/zip.go` and how
 * `cmd/go/internal/modfetch/codehost/git.go` archives a git tree), for tests that compare what the
 * go command gets in direct mode with what it gets through the proxy.
 *
 * `buildZipFixtures(root)` creates bare repositories under `root/zip/…` and returns one
 * {@link ZipCase} per module version: the module path and version to fetch, the hash the rule
 * table (zip-rule-cases.ts) records for it where it has one, and, where the go command refuses the
 * zip, a text its error and the proxy's reason both contain. Modules in a
 * subdirectory are tagged `<dir>/vX.Y.Z` and have the module path `<repo module path>/<dir>`.
 * `buildVectorFixture` turns one of x/mod's zip vectors into a repository served under the
 * vector's own module path. Large fixtures write their blobs once and reference them by id
 * (`{ blob }` entries), so 65,536 files or a 513 MiB file cost one blob each.
 * `buildSplitFixture` makes a module large enough to be zipped by several `git archive` processes.
 */
import { mkdir, open, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRepo, type FileEntry, type FixtureRepo } from './git-fixture.ts';
import { DIRECT_HOST } from './go-client.ts';
import { seededRandom } from './random.ts';
import { makeTempDir, removeDir } from './temp.ts';
import type { ZipVector } from './txtar.ts';
import { ZIP_RULE_CASES } from './zip-rule-cases.ts';

/** One module version to fetch both ways. */
export interface ZipCase {
  /** What the case shows, for the test name. */
  readonly title: string;
  readonly module: string;
  readonly version: string;
  /**
   * Absent: direct mode and the proxy must give the same `Sum` and `GoModSum`. Present: the go
   * command refuses the zip in direct mode, the proxy answers the `.zip` with a 4xx, and both
   * errors contain this text (unless `directError` is given).
   */
  readonly refusal?: string;
  /** The text of the go command's direct-mode error, where it differs from the proxy's reason. */
  readonly directError?: string;
  /** The `h1:` hash the zip must have, from the rule table. */
  readonly hash?: string;
  /** Present: why a Go 1.19 client in direct mode cannot compute `hash`; only the proxy is checked. */
  readonly directDiffers?: string;
}

const DATE = '2024-01-02T03:04:05Z';
const MIB = 1024 * 1024;
/** x/mod `zip.MaxGoMod`, `MaxLICENSE`. */
const MAX_SPECIAL_FILE = 16 * MIB;
/** Over x/mod `zip.MaxZipFile` (500 MiB) and over git's default `core.bigFileThreshold` (512 MiB). */
const HUGE_FILE_SIZE = 513 * MIB;
/** More entries than a zip without Zip64 end records can count (0xffff). */
const MANY_FILES = 65_536;

/** Module path of the repository `root/<fullPath>.git`, as the oracle and the proxy name it. */
export function repoModule(fullPath: string): string {
  return `${DIRECT_HOST}/${fullPath}`;
}

function goMod(module: string, go = '1.19'): string {
  return `module ${module}\n\ngo ${go}\n`;
}

/** Builds every fixture repository under `root` and lists the cases, light ones first. */
export async function buildZipFixtures(root: string): Promise<ZipCase[]> {
  const builders = [
    ruleTable,
    nested,
    symlinks,
    gitlinks,
    exportAttributes,
    eolAttributes,
    licenses,
    collisions,
    badNames,
    goodNames,
    oversizedSpecialFiles,
    hugeFile,
    manyFiles,
  ];
  const groups = await Promise.all(builders.map((build) => build(root)));
  return groups.flat();
}

/** Nested modules: a directory with its own go.mod (any case) is left out of the enclosing module. */
async function nested(root: string): Promise<ZipCase[]> {
  const fullPath = 'zip/nested';
  const module = repoModule(fullPath);
  const repo = await createRepo(root, fullPath);
  await repo.commit(
    {
      'go.mod': goMod(module),
      'LICENSE': 'root license\n',
      'a.go': 'package a\n',
      'sub/go.mod': goMod(`${module}/sub`),
      'sub/s.go': 'package sub\n',
      'sub/inner/go.mod': goMod(`${module}/sub/inner`),
      'sub/inner/i.go': 'package inner\n',
      'sub/keep/k.go': 'package keep\n',
      'caps/GO.MOD': 'MODULE X\n',
      'caps/c.go': 'package caps\n',
      'deep/er/Go.Mod': 'module y\n',
      'deep/er/d.go': 'package er\n',
      'deep/kept.go': 'package deep\n',
    },
    { date: DATE },
  );
  await repo.tag('v1.0.0');
  await repo.tag('sub/v1.0.0');
  await repo.commit({ 'go.mod': null, 'GO.MOD': goMod(module) }, { date: DATE });
  await repo.tag('v1.1.0');
  return [
    { title: 'nested modules, GO.MOD and Go.Mod in subdirectories, are left out', module, version: 'v1.0.0' },
    {
      title: 'a module in a subdirectory leaves out its own nested module',
      module: `${module}/sub`,
      version: 'v1.0.0',
    },
    {
      title: 'a root GO.MOD refuses the version',
      module,
      version: 'v1.1.0',
      refusal: 'go.mod files must have lowercase names',
    },
  ];
}

/** One repository per case of the rule table, `zip/rules/<name>`, tagged with the case's version. */
async function ruleTable(root: string): Promise<ZipCase[]> {
  const build = async (ruleCase: (typeof ZIP_RULE_CASES)[number]): Promise<ZipCase> => {
    const repo = await createRepo(root, `zip/rules/${ruleCase.name}`);
    await repo.commit(ruleCase.files, { date: DATE });
    await repo.tag(ruleCase.version);
    const { rule: title, modulePath: module, version, hash, goCommand: directDiffers } = ruleCase;
    return { title, module, version, hash, ...(directDiffers === undefined ? {} : { directDiffers }) };
  };
  return Promise.all(ZIP_RULE_CASES.map(build));
}

/** Symbolic links are dropped, but still collide before they are. */
async function symlinks(root: string): Promise<ZipCase[]> {
  const fullPath = 'zip/symlinks';
  const module = repoModule(fullPath);
  const repo = await createRepo(root, fullPath);
  await repo.commit(
    {
      'go.mod': goMod(module),
      'a.go': 'package a\n',
      'link.go': { symlink: 'a.go' },
      'dir/target.txt': 'target\n',
      'dirlink': { symlink: 'dir' },
      'broken': { symlink: 'does/not/exist' },
      'run.sh': { exec: '#!/bin/sh\necho hi\n' },
    },
    { date: DATE },
  );
  await repo.tag('v1.0.0');
  await repo.commit({ 'A.GO': { symlink: 'a.go' } }, { date: DATE });
  await repo.tag('v1.1.0');
  return [
    { title: 'symbolic links are left out, executables kept', module, version: 'v1.0.0' },
    {
      title: 'a symbolic link that case-collides with a file refuses the version',
      module,
      version: 'v1.1.0',
      refusal: 'case-insensitive file name collision',
    },
  ];
}

/** Submodules (gitlinks) produce no entry. */
async function gitlinks(root: string): Promise<ZipCase[]> {
  const fullPath = 'zip/gitlinks';
  const module = repoModule(fullPath);
  const repo = await createRepo(root, fullPath);
  await repo.commit(
    {
      'go.mod': goMod(module),
      'a.go': 'package a\n',
      '.gitmodules': '[submodule "ext"]\n\tpath = ext\n\turl = https://example.com/ext.git\n',
      'ext': { gitlink: '0123456789abcdef0123456789abcdef01234567' },
      'sub/go.mod': goMod(`${module}/sub`),
      'sub/lib': { gitlink: '89abcdef0123456789abcdef0123456789abcdef' },
      'sub/s.go': 'package sub\n',
    },
    { date: DATE },
  );
  await repo.tag('v1.0.0');
  await repo.tag('sub/v1.0.0');
  return [
    { title: 'gitlinks produce no entry', module, version: 'v1.0.0' },
    { title: 'gitlinks in a subdirectory module produce no entry', module: `${module}/sub`, version: 'v1.0.0' },
  ];
}

/**
 * export-ignore and export-subst are switched off as the go command does; the served repository's
 * own `info/attributes` play no part (the go command archives from its own clone, which has none).
 */
async function exportAttributes(root: string): Promise<ZipCase[]> {
  const fullPath = 'zip/export';
  const module = repoModule(fullPath);
  const repo = await createRepo(root, fullPath);
  await repo.commit(
    {
      'go.mod': goMod(module),
      '.gitattributes': 'ignored.txt export-ignore\nsubst.go export-subst\n',
      'ignored.txt': 'still in the zip\n',
      'subst.go': 'package a\n\nconst Commit = "$Format:%H$"\n',
      'plain.txt': 'line one\nline two\n',
    },
    { date: DATE },
  );
  await repo.tag('v1.0.0');
  await writeRepoFile(repo, 'info/attributes', '*.txt text eol=crlf\nsubst.go export-subst\n');
  return [{
    title: 'export-ignore and export-subst are off; the repository’s info/attributes are not used',
    module,
    version: 'v1.0.0',
  }];
}

/** eol and text attributes still convert line endings, in go.mod too (while `.mod` stays raw). */
async function eolAttributes(root: string): Promise<ZipCase[]> {
  const fullPath = 'zip/eol';
  const module = repoModule(fullPath);
  const repo = await createRepo(root, fullPath);
  await repo.commit(
    {
      'go.mod': goMod(module),
      '.gitattributes': 'crlf.txt text eol=crlf\n*.bin binary\n',
      'crlf.txt': 'one\ntwo\n',
      'keep.txt': 'a\r\nb\n',
      'data.bin': new Uint8Array([0x0d, 0x0a, 0x00, 0x0a]),
    },
    { date: DATE },
  );
  await repo.tag('v1.0.0');
  await repo.commit({ '.gitattributes': '* text=auto\n', 'crlf-blob.txt': 'x\r\ny\r\n', 'lf-blob.txt': 'x\ny\n' }, {
    date: DATE,
  });
  await repo.tag('v1.1.0');
  await repo.commit({ '.gitattributes': '* text eol=crlf\n' }, { date: DATE });
  await repo.tag('v1.2.0');
  return [
    { title: 'text eol=crlf converts a file', module, version: 'v1.0.0' },
    { title: '* text=auto with CRLF in a blob', module, version: 'v1.1.0' },
    { title: '* text eol=crlf converts go.mod in the zip but not the .mod', module, version: 'v1.2.0' },
  ];
}

/** LICENSE inheritance by modules in subdirectories. */
async function licenses(root: string): Promise<ZipCase[]> {
  const fullPath = 'zip/license';
  const module = repoModule(fullPath);
  const repo = await createRepo(root, fullPath);
  const subModules = (dir: string) => ({
    [`${dir}/go.mod`]: goMod(`${module}/${dir}`),
    [`${dir}/${dir}.go`]: `package ${dir}\n`,
  });
  await repo.commit(
    {
      'go.mod': goMod(module),
      'LICENSE': 'root license\r\n',
      ...subModules('none'),
      ...subModules('own'),
      'own/LICENSE': 'own license\n',
      ...subModules('link'),
      'link/LICENSE': { symlink: '../LICENSE' },
      ...subModules('dir'),
      'dir/LICENSE/terms.txt': 'a directory named LICENSE\n',
    },
    { date: DATE },
  );
  for (const tag of ['v1.0.0', 'none/v1.0.0', 'own/v1.0.0', 'link/v1.0.0', 'dir/v1.0.0']) await repo.tag(tag);
  await repo.commit({ 'LICENSE': { symlink: 'COPYING' }, 'COPYING': 'copying\n' }, { date: DATE });
  await repo.tag('v1.1.0');
  await repo.tag('none/v1.1.0');
  await repo.commit({ 'LICENSE': null }, { date: DATE });
  await repo.tag('none/v1.2.0');
  return [
    { title: 'root LICENSE with CRLF is archived with its bytes', module, version: 'v1.0.0' },
    {
      title: 'a subdirectory module without LICENSE inherits the root one (raw blob)',
      module: `${module}/none`,
      version: 'v1.0.0',
    },
    { title: 'a subdirectory module with its own LICENSE keeps it', module: `${module}/own`, version: 'v1.0.0' },
    {
      title: 'an own LICENSE that is a symlink is dropped and nothing inherited',
      module: `${module}/link`,
      version: 'v1.0.0',
    },
    {
      title: 'an inherited LICENSE beside a LICENSE directory refuses the version',
      module: `${module}/dir`,
      version: 'v1.0.0',
      refusal: 'is both a file and a directory',
    },
    { title: 'a root LICENSE symlink is dropped from the root module', module, version: 'v1.1.0' },
    { title: 'a root LICENSE symlink is inherited as its target text', module: `${module}/none`, version: 'v1.1.0' },
    { title: 'no root LICENSE: nothing inherited', module: `${module}/none`, version: 'v1.2.0' },
  ];
}

/** Paths equal under Go's simple case folding refuse the version; JS-only folds do not. */
async function collisions(root: string): Promise<ZipCase[]> {
  const fullPath = 'zip/collide';
  const module = repoModule(fullPath);
  const repo = await createRepo(root, fullPath);
  const refusal = 'case-insensitive file name collision';
  await repo.commit({ 'go.mod': goMod(module), 'a.go': 'package a\n', 'A.go': 'package a\n' }, { date: DATE });
  await repo.tag('v1.0.0');
  await repo.commit({ 'A.go': null, 'dir/x.go': 'package dir\n', 'DIR/y.go': 'package dir\n' }, { date: DATE });
  await repo.tag('v1.1.0');
  await repo.commit({ 'DIR/y.go': null, 's.txt': 's\n', 'ſ.txt': 'long s\n' }, { date: DATE });
  await repo.tag('v1.2.0');
  await repo.commit({ 'ſ.txt': null, 'i.txt': 'i\n', 'İ.txt': 'dotted capital I\n' }, { date: DATE });
  await repo.tag('v1.3.0');
  return [
    { title: 'a.go and A.go collide', module, version: 'v1.0.0', refusal },
    { title: 'dir/ and DIR/ collide', module, version: 'v1.1.0', refusal },
    { title: 's and ſ collide under Go’s simple folding', module, version: 'v1.2.0', refusal },
    { title: 'i and İ do not collide under Go’s simple folding', module, version: 'v1.3.0' },
  ];
}

/** File names module.CheckFilePath or git archive refuses: each version has one. */
async function badNames(root: string): Promise<ZipCase[]> {
  const fullPath = 'zip/badnames';
  const module = repoModule(fullPath);
  const repo = await createRepo(root, fullPath);
  const names = [
    'a:b.go',
    'aux.go',
    'dir/GIT~1/x.go',
    'trailing.',
    'semi;colon.go',
    'ctrl\u0001.txt',
    'quote".txt',
    'sym€.txt',
  ];
  const cases: ZipCase[] = [];
  let previous: string | undefined;
  for (const [i, name] of names.entries()) {
    const changes: Record<string, string | null> = { [name]: 'bad\n' };
    if (previous === undefined) changes['go.mod'] = goMod(module);
    else changes[previous] = null;
    await repo.commit(changes, { date: DATE });
    const version = `v1.${i}.0`;
    await repo.tag(version);
    // x/mod accepts an NTFS short name in a file path, but git (core.protectNTFS, on by default) will not archive it.
    const refusal = name.includes('~1') ? `invalid path '${name}'` : 'malformed file path';
    cases.push({ title: `refused file name ${JSON.stringify(name)}`, module, version, refusal });
    previous = name;
  }
  return cases;
}

/** Names the go command accepts, empty and binary files, and files it drops silently. */
async function goodNames(root: string): Promise<ZipCase[]> {
  const fullPath = 'zip/goodnames';
  const module = repoModule(fullPath);
  const repo = await createRepo(root, fullPath);
  const binary = new Uint8Array(4096);
  for (let i = 0; i < binary.length; i++) binary[i] = (i * 7919 + (i >> 3)) & 0xff;
  await repo.commit(
    {
      'go.mod': goMod(module),
      'é.go': 'package a\n',
      '日本語/文件.txt': '中文\n',
      '𝔸.txt': 'astral letter: sorts after U+FF21 in UTF-8, before it in UTF-16\n',
      'Ａ.txt': 'fullwidth A\n',
      'with space.txt': 'space\n',
      'trailing space ': 'trailing space\n',
      '.dotfile': 'leading dot\n',
      'x/.hidden/y.txt': 'hidden dir\n',
      '!#$%&()+,-.=@[]^_{}~.txt': 'punctuation\n',
      'empty.txt': '',
      'dir/empty': '',
      'binary.bin': binary,
      '.hg_archival.txt': 'dropped at the root\n',
      'sub/.hg_archival.txt': 'kept below it\n',
      '.svn/entries': 'kept: git-derived zips keep VCS-looking dirs\n',
    },
    { date: DATE },
  );
  await repo.tag('v1.0.0');
  return [{
    title: 'non-ASCII letters, punctuation, dot files, empty and binary files, .hg_archival.txt',
    module,
    version: 'v1.0.0',
  }];
}

/** A go.mod or a LICENSE (own or inherited) over 16 MiB refuses the version. */
async function oversizedSpecialFiles(root: string): Promise<ZipCase[]> {
  const goModPath = 'zip/bigmod';
  const goModModule = repoModule(goModPath);
  const big = await createRepo(root, goModPath);
  await big.commit({ 'go.mod': padded(goMod(goModModule), '//', MAX_SPECIAL_FILE + 1), 'a.go': 'package a\n' }, {
    date: DATE,
  });
  await big.tag('v1.0.0');

  const licensePath = 'zip/biglicense';
  const licenseModule = repoModule(licensePath);
  const repo = await createRepo(root, licensePath);
  await repo.commit(
    {
      'go.mod': goMod(licenseModule),
      'LICENSE': padded('license\n', '', MAX_SPECIAL_FILE + 1),
      'sub/go.mod': goMod(`${licenseModule}/sub`),
      'sub/s.go': 'package sub\n',
    },
    { date: DATE },
  );
  await repo.tag('v1.0.0');
  await repo.tag('sub/v1.0.0');
  await repo.commit({ 'LICENSE': padded('license\n', '', MAX_SPECIAL_FILE) }, { date: DATE });
  await repo.tag('v1.1.0');
  await repo.tag('sub/v1.1.0');
  return [
    // The proxy refuses to read such a go.mod at all (codehost.MaxGoMod), the go command's zip step refuses it.
    {
      title: 'go.mod over 16 MiB',
      module: goModModule,
      version: 'v1.0.0',
      refusal: 'larger than 16 MiB',
      directError: 'go.mod file too large',
    },
    { title: 'LICENSE over 16 MiB', module: licenseModule, version: 'v1.0.0', refusal: 'LICENSE file too large' },
    {
      title: 'inherited LICENSE over 16 MiB',
      module: `${licenseModule}/sub`,
      version: 'v1.0.0',
      refusal: 'LICENSE file too large',
    },
    { title: 'LICENSE of exactly 16 MiB', module: licenseModule, version: 'v1.1.0' },
    { title: 'inherited LICENSE of exactly 16 MiB', module: `${licenseModule}/sub`, version: 'v1.1.0' },
  ];
}

/** `text` followed by lines of `comment` + `x…` up to exactly `size` bytes. */
function padded(text: string, comment: string, size: number): Uint8Array {
  const bytes = Buffer.alloc(size, 'x');
  bytes.write(text, 0, 'utf8');
  for (let at = text.length; at < size; at += 1024) {
    bytes.write(comment, at, 'utf8');
    bytes[Math.min(at + 1023, size - 1)] = 0x0a;
  }
  return bytes;
}

/**
 * A 513 MiB file: over 500 MiB in all, and over git's default `core.bigFileThreshold`, the only
 * files `git archive` streams with a data descriptor. The proxy runs git without global or system
 * config and with its own shadow config, so that threshold is always git's default: a served zip
 * never holds such a file, and the version is refused from `ls-tree` sizes before git archive runs.
 */
async function hugeFile(root: string): Promise<ZipCase[]> {
  const fullPath = 'zip/huge';
  const module = repoModule(fullPath);
  const repo = await createRepo(root, fullPath);
  const zeros = await writeSparseBlob(repo, HUGE_FILE_SIZE);
  await repo.commit({ 'go.mod': goMod(module), 'zeros.bin': { blob: zeros } }, { date: DATE });
  await repo.tag('v1.0.0');
  return [{
    title: 'a 513 MiB file: over 500 MiB and over core.bigFileThreshold',
    module,
    version: 'v1.0.0',
    refusal: 'module source tree too large',
  }];
}

/** 65,536 files and a go.mod: more entries than a zip without Zip64 end records can count. */
async function manyFiles(root: string): Promise<ZipCase[]> {
  const fullPath = 'zip/many';
  const module = repoModule(fullPath);
  const repo = await createRepo(root, fullPath);
  const blob = await repo.writeBlob('same content in every file\n');
  const files: Record<string, FileEntry> = { 'go.mod': goMod(module) };
  for (let i = 0; i < MANY_FILES; i++) files[`d${Math.floor(i / 1000)}/f${i % 1000}.txt`] = { blob };
  await repo.commit(files, { date: DATE });
  await repo.tag('v1.0.0');
  return [{ title: `${MANY_FILES} files (Zip64 end records)`, module, version: 'v1.0.0' }];
}

/**
 * One of x/mod's zip vectors as a repository at `root/<fullPath>.git`, tagged with the vector's
 * version; serve it under the vector's module path (a project `modulePath`) to compare hashes.
 */
export async function buildVectorFixture(root: string, fullPath: string, vector: ZipVector): Promise<void> {
  const repo = await createRepo(root, fullPath);
  const files = Object.fromEntries(vector.files.map((file) => [file.name, new Uint8Array(file.data)]));
  await repo.commit(files, { date: DATE });
  await repo.tag(vector.version);
}

/** A blob of `size` zero bytes, hashed from a sparse file (no disk or memory spent on the zeros). */
async function writeSparseBlob(repo: FixtureRepo, size: number): Promise<string> {
  const scratch = await makeTempDir('sparse-blob');
  try {
    const file = join(scratch, 'zeros');
    const handle = await open(file, 'w');
    await handle.truncate(size);
    await handle.close();
    return (await repo.git(['hash-object', '-w', '--', file])).trim();
  } finally {
    await removeDir(scratch);
  }
}

/** Writes a file inside the bare repository's git dir, e.g. `info/attributes`. */
async function writeRepoFile(repo: FixtureRepo, relative: string, text: string): Promise<void> {
  const file = join(repo.gitDir, relative);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}

/** The root module of `buildSplitFixture`, and its module in `sub/`. */
export const SPLIT_MODULES = [repoModule('big/split'), repoModule('big/split/sub')] as const;

/**
 * `big/split`, tagged v1.0.0 and sub/v1.0.0: a root module and a module in `sub/` of about 13 MiB
 * each, over directories of very different weight, with a nested module and vendored files (left
 * out) and a root LICENSE (inherited by `sub`). Seeded: the same bytes every time.
 */
export async function buildSplitFixture(root: string): Promise<void> {
  const repo = await createRepo(root, 'big/split');
  await repo.commit({
    ...largeTree('', SPLIT_MODULES[0]),
    ...largeTree('sub/', SPLIT_MODULES[1]),
    LICENSE: 'the root licence\n',
  }, { date: '2024-05-06T07:08:09Z' });
  await repo.tag('v1.0.0');
  await repo.tag('sub/v1.0.0');
}

/** About 13 MiB of compressible Go-like text over directories of very different weight. */
function largeTree(prefix: string, module: string): Record<string, string> {
  const random = seededRandom(prefix.length + 11);
  const text = (lines: number) =>
    Array.from({ length: lines }, () => `// ${random().toString(36).slice(2)} ${random().toString(36).slice(2)}`).join(
      '\n',
    );
  const files: Record<string, string> = { [`${prefix}go.mod`]: `module ${module}\n\ngo 1.19\n` };
  for (let i = 0; i < 300; i++) files[`${prefix}heavy/deep/p${i % 7}/f${i}.go`] = `package p${i % 7}\n${text(1500)}\n`;
  for (let i = 0; i < 200; i++) files[`${prefix}light${i % 5}/f${i}.go`] = `package light\n${text(200)}\n`;
  files[`${prefix}root.go`] = `package split\n${text(50)}\n`;
  files[`${prefix}nested/go.mod`] = `module ${module}/nested\n`;
  files[`${prefix}nested/n.go`] = 'package nested\n';
  files[`${prefix}vendor/example.com/v/v.go`] = 'package v\n';
  files[`${prefix}vendor/modules.txt`] = '# example.com/v v1.0.0\n';
  return files;
}
