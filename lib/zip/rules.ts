/**
 * Which files of a module go into its zip, decided from a tree listing before any byte is sent.
 *
 * The go command builds a module zip in direct mode from `git archive` of the module's directory
 * (golang/go `modfetch/coderepo.go` `(*codeRepo).Zip`), then filters it through x/mod's
 * `zip.Create`, whose `checkFiles` (golang/mod `zip/zip.go`) sorts every file into kept, silently
 * omitted, or invalid — and one invalid file refuses the whole version. The rules, in the order that
 * decides which one wins for a file:
 *
 * 1. a path that is not clean, or is absolute: invalid;
 * 2. a file of a vendored package (`isVendoredPackage`, whose rule depends on the go directive): omitted;
 * 3. a file below a directory, other than the module root, holding a regular file named `go.mod`
 *    in any case (a nested module): omitted;
 * 4. `.hg_archival.txt` at the root: omitted;
 * 5. a name `module.CheckFilePath` refuses: invalid;
 * 6. the root `go.mod` spelled in another case: invalid;
 * 7. two paths equal under Go's simple case folding, or a path that is both a file and a
 *    directory: invalid (symbolic links take part, although rule 8 drops them);
 * 8. symbolic links and other non-regular files: omitted;
 * 9. more than 500 MiB in all, a root `go.mod` or `LICENSE` over 16 MiB: invalid.
 *
 * Submodules (gitlinks) never reach these rules: `git archive` writes them as empty directories,
 * which `codeRepo.Zip` skips.
 *
 * Before all of them, git itself: `git archive` fails on a path its `verify_path` refuses with
 * `core.protectNTFS` (on by default since git 2.24), such as `GIT~1/x`, whatever x/mod would say
 * ({@link gitRefusesPath}); the go command then reports git's `invalid path`.
 */
import { MAX_GO_MOD } from '../modules/gomod.ts';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { checkFilePath } from '../modules/module-path.ts';
import { goQuote } from '../modules/go-quote.ts';
import { strToFold } from './fold.ts';

/** One entry of `git ls-tree -r -l -z <commit>`, its path relative to the module's directory. */
export interface TreeFile {
  /** Slash-separated path below the module directory, e.g. `cmd/tool/main.go`. */
  readonly path: string;
  /** The git mode: `100644` or `100755` (file), `120000` (symbolic link), `160000` (gitlink). */
  readonly mode: string;
  /** Size in bytes of the blob (git's size of a gitlink is meaningless and ignored). */
  readonly size: number;
}

/** What the zip rules need to know about the module beyond its file list. */
export interface ZipRuleOptions {
  /**
   * The `go` directive of the module's root go.mod (see `goDirective` in modules/gomod.ts), e.g. `1.24`.
   * Go 1.24 or later selects the corrected vendor rule that current toolchains, and so
   * sum.golang.org, apply to such modules (x/mod ≥ v0.22). Absent, unparsable or older: the
   * original rule. Go 1.19 clients always use the original rule, whatever the directive says, so
   * for a go ≥ 1.24 module with `vendor/modules.txt` or `<dir>/vendor/<file>` they compute another
   * hash than this plan gives. Ignored when the file list has no regular root `go.mod`, as in x/mod.
   */
  readonly goVersion?: string;
  /**
   * The sizes are not known yet (a listing without them): the size rules (9) are left to
   * {@link sizeRefusal} over the kept files, which decides them as this plan would have, provided
   * the plan found no other invalid file (else plan again with sizes, for the message that wins).
   */
  readonly sizesUnknown?: boolean;
}

/** Why a file of the tree is not in the zip although the version is served. */
export type OmissionReason =
  | 'vendored package'
  | 'nested module'
  | 'Mercurial archive file'
  | 'symbolic link'
  | 'submodule';

/** A file of the tree left out of the zip, and why. */
export interface OmittedFile {
  readonly path: string;
  readonly reason: OmissionReason;
}

/**
 * The zip plan: the files to send, in input order, their total size, and the files left out; or
 * why there is no zip.
 */
export type ZipPlan =
  | { readonly ok: true; readonly files: TreeFile[]; readonly size: number; readonly omitted: OmittedFile[] }
  | { readonly ok: false; readonly reason: string };

/** x/mod `zip.MaxZipFile`: most bytes a module's files may hold together. */
export const MAX_ZIP_FILE = 500 * 1024 * 1024;
/** x/mod `zip.MaxLICENSE`: largest root LICENSE, the module's own or inherited. */
export const MAX_LICENSE = 16 * 1024 * 1024;

const SYMLINK_MODE = '120000';
const GITLINK_MODE = '160000';
const TREE_MODE = '040000';

/** Which `isVendoredPackage` rule applies: the original one, or the one for go ≥ 1.24 modules. */
export type VendorRule = 'original' | 'go1.24';

/**
 * x/mod `zip.checkFiles` over a module's tree listing. Sizes are taken as given: they are the
 * archive's sizes only where no eol, ident or filter attribute rewrites the file.
 */
export function planModuleZip(files: readonly TreeFile[], options: ZipRuleOptions = {}): ZipPlan {
  const steps = planSteps(files, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Files judged in one turn of the event loop by `planModuleZipInSlices` (a few milliseconds). */
const FILES_PER_SLICE = 2048;

/** `planModuleZip`, with the event loop free after every few thousand files: for a tree of 100,000. */
export async function planModuleZipInSlices(
  files: readonly TreeFile[],
  options: ZipRuleOptions = {},
): Promise<ZipPlan> {
  const steps = planSteps(files, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await nextTurn();
  }
}

/** The plan, pausing (a `yield`) after each `FILES_PER_SLICE` files judged. */
function* planSteps(files: readonly TreeFile[], options: ZipRuleOptions): Generator<void, ZipPlan> {
  const unarchivable = files.find(gitRefusesPath);
  if (unarchivable !== undefined) {
    return { ok: false, reason: `invalid path '${unarchivable.path}': git refuses to archive it` };
  }
  const archived = files.filter(isArchivedFile);
  const omitted: OmittedFile[] = files.filter((file) => !isArchivedFile(file)).map((file) => ({
    path: file.path,
    reason: 'submodule',
  }));
  const context: RuleContext = {
    vendorRule: selectVendorRule(archived, options.goVersion),
    nestedModuleDirs: findNestedModuleDirs(archived),
    collisions: new CollisionChecker(),
  };
  yield;
  const kept: TreeFile[] = [];
  let firstInvalid: string | undefined;
  const sizes = new SizeCheck();
  for (const [index, file] of archived.entries()) {
    if (index % FILES_PER_SLICE === FILES_PER_SLICE - 1) yield;
    const verdict = judgeFile(file, context);
    if (typeof verdict === 'object' && 'omit' in verdict) {
      omitted.push({ path: file.path, reason: verdict.omit });
      continue;
    }
    if (verdict !== 'keep') {
      firstInvalid ??= `${file.path}: ${verdict.invalid}`;
      continue;
    }
    const sizeProblem = options.sizesUnknown ? undefined : sizes.add(file);
    if (sizeProblem !== undefined) {
      firstInvalid ??= sizeProblem;
      continue;
    }
    kept.push(file);
  }
  // CheckedFiles.Err reports a size error before any invalid file.
  if (sizes.tooLarge) return { ok: false, reason: TOO_LARGE };
  if (firstInvalid !== undefined) return { ok: false, reason: firstInvalid };
  return { ok: true, files: kept, size: sizes.total, omitted };
}

const TOO_LARGE = `module source tree too large (max size is ${MAX_ZIP_FILE} bytes)`;

/**
 * Rule 9 over the kept files of a plan made with `sizesUnknown`, in plan order, given with their
 * sizes: the refusal, or undefined. Feed every file to `add`, then ask `refusal`.
 */
export class SizeCheck {
  /** Bytes of the files counted so far. */
  total = 0;
  tooLarge = false;
  #firstProblem: string | undefined;

  /** Counts a file; answers its own go.mod/LICENSE size problem, if it has one. */
  add(file: Pick<TreeFile, 'path' | 'size'>): string | undefined {
    // checkFiles counts a file towards the total before its own go.mod/LICENSE size check.
    if (this.total + file.size > MAX_ZIP_FILE) this.tooLarge = true;
    else this.total += file.size;
    const problem = checkSpecialFileSize(file);
    if (problem === undefined) return undefined;
    const invalid = `${file.path}: ${problem}`;
    this.#firstProblem ??= invalid;
    return invalid;
  }

  /** Why the files counted refuse the zip (a size error before any invalid file), or undefined. */
  get refusal(): string | undefined {
    return this.tooLarge ? TOO_LARGE : this.#firstProblem;
  }
}

interface RuleContext {
  readonly vendorRule: VendorRule;
  readonly nestedModuleDirs: ReadonlySet<string>;
  readonly collisions: CollisionChecker;
}

/** One file through rules 1–8 of checkFiles, first match wins. */
function judgeFile(file: TreeFile, context: RuleContext): 'keep' | { omit: OmissionReason } | { invalid: string } {
  const { path } = file;
  if (!isCleanPath(path)) return { invalid: 'file path is not clean' };
  if (path.startsWith('/')) return { invalid: 'file path is not relative' };
  if (isVendoredPackage(path, context.vendorRule)) return { omit: 'vendored package' };
  if (isInNestedModule(path, context.nestedModuleDirs)) return { omit: 'nested module' };
  if (path === '.hg_archival.txt') return { omit: 'Mercurial archive file' };
  const nameProblem = checkFilePath(path);
  if (nameProblem !== undefined) return { invalid: `malformed file path ${goQuote(path)}: ${nameProblem}` };
  if (isMiscasedRootGoMod(path)) return { invalid: 'go.mod files must have lowercase names' };
  const collision = context.collisions.check(path, false);
  if (collision !== undefined) return { invalid: collision };
  if (!isRegularFile(file)) return { omit: 'symbolic link' }; // (golang.org/issue/27093) and any other non-regular file
  return 'keep';
}

/**
 * Does `git archive` write this entry as a file? Gitlinks (and trees, should a listing hold them)
 * become directory entries, which `codeRepo.Zip` skips before x/mod sees anything.
 */
function isArchivedFile(file: TreeFile): boolean {
  return file.mode !== GITLINK_MODE && file.mode !== TREE_MODE;
}

/**
 * Would `git archive` fail on this entry? git's `verify_path` (read-cache.c, git 2.39) with
 * `core.protectNTFS` on, as in the go command's own clone: a path element that NTFS takes for
 * `.git` (`is_ntfs_dotgit`: `.git` or its short name `git~1`, in any case, followed only by dots
 * or spaces), or a symbolic link whose name NTFS takes for `.gitmodules` (`is_ntfs_dotgitmodules`:
 * `.gitmodules`, `gitmod~1`…`gitmod~4`, `gi7eba~1`…`gi7eba~9`, same trailers). A plain `.git`
 * element is refused too (`verify_dotfile`). `:` and `\\` forms are left to x/mod, whose name rules
 * refuse those characters anyway.
 */
export function gitRefusesPath(file: TreeFile): boolean {
  if (!MIGHT_BE_REFUSED_BY_GIT.test(file.path)) return false; // the usual case, without a split
  const elements = file.path.split('/');
  if (elements.some((element) => NTFS_DOTGIT.test(element))) return true;
  return file.mode === SYMLINK_MODE && NTFS_DOTGITMODULES.test(elements[elements.length - 1]!);
}

/** Every name below holds `gi` in some case: a path without it passes. */
const MIGHT_BE_REFUSED_BY_GIT = /gi/i;
const NTFS_DOTGIT = /^(?:\.git|git~1)[. ]*$/i;
const NTFS_DOTGITMODULES = /^(?:\.gitmodules|gitmod~[1-4]|gi7eba~[1-9])[. ]*$/i;

/** A regular file: git's `100644`/`100755` (and the `100664` of very old trees). */
function isRegularFile(file: TreeFile): boolean {
  return file.mode.startsWith('100');
}

/**
 * checkFiles' `haveGoMod` pre-pass: every directory other than the root that holds a regular file
 * whose name folds to `go.mod` (`strings.EqualFold`, so `GO.MOD` too) is another module's root.
 */
function findNestedModuleDirs(files: readonly TreeFile[]): Set<string> {
  const dirs = new Set<string>();
  for (const file of files) {
    const slash = file.path.lastIndexOf('/');
    if (slash < 0 || !isRegularFile(file)) continue;
    if (strToFold(file.path.slice(slash + 1)) === 'go.mod') dirs.add(file.path.slice(0, slash + 1));
  }
  return dirs;
}

/** checkFiles' `inSubmodule`: is some ancestor directory of `path` a nested module root? */
function isInNestedModule(path: string, nestedModuleDirs: ReadonlySet<string>): boolean {
  if (nestedModuleDirs.size === 0) return false;
  for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
    if (nestedModuleDirs.has(path.slice(0, slash + 1))) return true;
  }
  return false;
}

/**
 * The vendor rule x/mod picks from the root go.mod it finds among the files (newer `checkFiles`:
 * only a regular file named exactly `go.mod`, its `go` line read by `modfile.ParseLax`).
 */
function selectVendorRule(files: readonly TreeFile[], goVersion: string | undefined): VendorRule {
  const hasRootGoMod = files.some((file) => file.path === 'go.mod' && isRegularFile(file));
  return hasRootGoMod && isGo124OrLater(goVersion) ? 'go1.24' : 'original';
}

/**
 * x/mod `isVendoredPackage(name, vers)`: is the file part of a vendored package?
 * - `vendor/<dir>/<file>`: yes, under both rules; `vendor/<file>`: no, except that the Go 1.24
 *   rule drops `vendor/modules.txt` (golang.org/issue/63395).
 * - a path containing `/vendor/`: the original rule looks for a `/` after the first
 *   `len("/vendor/")` characters of the path, not after the match (golang.org/issue/31562,
 *   #37397, kept for checksum stability); since the match starts at 1 or later, its own closing
 *   `/` is always found, so every such path is dropped (`pkg/vendor/vendor.go` too). The Go 1.24
 *   rule looks after the first `/vendor/` instead.
 */
export function isVendoredPackage(path: string, rule: VendorRule): boolean {
  if (rule === 'go1.24' && path === 'vendor/modules.txt') return true;
  let rest: string;
  if (path.startsWith('vendor/')) rest = path.slice('vendor/'.length);
  else {
    const match = path.indexOf('/vendor/');
    if (match < 0) return false;
    rest = path.slice(rule === 'go1.24' ? match + '/vendor/'.length : '/vendor/'.length);
  }
  return rest.includes('/');
}

/** checkFiles: `strings.ToLower(p) == "go.mod" && p != "go.mod"` (only ASCII folds onto these letters). */
function isMiscasedRootGoMod(path: string): boolean {
  return path.length === 6 && path !== 'go.mod' && path.replace(/[A-Z]/g, (upper) => upper.toLowerCase()) === 'go.mod';
}

/** The root go.mod and LICENSE limits (checkFiles, after the running total). */
function checkSpecialFileSize(file: Pick<TreeFile, 'path' | 'size'>): string | undefined {
  if (file.path === 'go.mod' && file.size > MAX_GO_MOD) {
    return `go.mod file too large (max size is ${MAX_GO_MOD} bytes)`;
  }
  if (file.path === 'LICENSE' && file.size > MAX_LICENSE) {
    return `LICENSE file too large (max size is ${MAX_LICENSE} bytes)`;
  }
  return undefined;
}

/**
 * x/mod `collisionChecker`: each path and all its parent directories are registered under their
 * fold key; a second spelling of a key, a second entry for a file, or a path that is both a file
 * and a directory is an error.
 */
class CollisionChecker {
  /** Fold key → the path first seen under it, with a `/` appended for a directory. */
  readonly #seen = new Map<string, string>();

  /** Registers a clean relative path; answers the collision it makes, if any. */
  check(path: string, isDir: boolean): string | undefined {
    const key = strToFold(path);
    const other = this.#seen.get(key);
    if (other === undefined) this.#seen.set(key, isDir ? `${path}/` : path);
    else if (other !== path && other !== `${path}/`) {
      return `case-insensitive file name collision: ${goQuote(unmarked(other))} and ${goQuote(path)}`;
    } else if (other.endsWith('/') !== isDir) return `entry ${goQuote(path)} is both a file and a directory`;
    else if (!isDir) return `multiple entries for file ${goQuote(path)}`;
    // x/mod walks on up, but a directory seen before had its parents registered then, without error
    // (an error ends the check): stopping here answers the same, without a walk as deep as the path.
    else return undefined;
    const slash = path.lastIndexOf('/');
    return slash < 0 ? undefined : this.check(path.slice(0, slash), true);
  }
}

/** A path as `CollisionChecker` keeps it, without its directory mark. */
function unmarked(kept: string): string {
  return kept.endsWith('/') ? kept.slice(0, -1) : kept;
}

/**
 * `path == path.Clean(path)`. Without an element that begins with a dot, an empty element or a
 * leading or trailing slash (every path git would store) the path is clean; anything else is
 * compared with its cleaned form.
 */
function isCleanPath(path: string): boolean {
  if (path !== '' && !/^[/.]|\/[/.]|\/$/.test(path)) return true;
  return path === cleanPath(path);
}

/** Go's `path.Clean`, used only to ask whether a path is already clean. */
function cleanPath(path: string): string {
  if (path === '') return '.';
  const rooted = path.startsWith('/');
  const elements: string[] = [];
  for (const element of path.split('/')) {
    if (element === '' || element === '.') continue;
    if (element !== '..') elements.push(element);
    else if (elements.length > 0 && elements[elements.length - 1] !== '..') elements.pop();
    else if (!rooted) elements.push('..');
  }
  const joined = elements.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/**
 * `go/version.Compare(version.Lang("go" + v), "go1.24") >= 0` as x/mod's `isVendoredPackage`
 * asks it: v must be a valid Go version (`gover.parse`: `1`, `1.24`, `1.24.3`, `1.24rc1`) whose
 * language version is at least 1.24; anything unparsable counts as older.
 */
function isGo124OrLater(goVersion: string | undefined): boolean {
  const match = /^(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\.(?:0|[1-9]\d*)|[a-z]+(?:0|[1-9]\d*)?)?)?$/.exec(goVersion ?? '');
  if (match === null) return false;
  const major = Number(match[1]);
  const minor = Number(match[2] ?? '0');
  return major > 1 || (major === 1 && minor >= 24);
}

/**
 * LICENSE inheritance (`codeRepo.Zip`): a module in a subdirectory of its repository that has no
 * entry named exactly `LICENSE` at its root gets the repository root's `LICENSE`, read as a raw
 * blob (`git cat-file blob <commit>:LICENSE`, no eol conversion) and added as a regular file after
 * the archive's files. Returns that extra entry — append it to the module's files before
 * {@link planModuleZip}, its bytes from the root blob — or undefined when nothing is inherited.
 *
 * The quirks follow from what the go command looks at:
 * - the module's own `LICENSE` counts even when it is a symbolic link: nothing is inherited, and
 *   the link is then dropped, so the zip has no LICENSE at all;
 * - a root `LICENSE` that is a symbolic link is a blob holding the link's target path, and those
 *   bytes ship as the LICENSE (size = the link's blob size);
 * - a root `LICENSE` that is a directory or a gitlink is no blob: nothing is added;
 * - the inherited file is subject to the 16 MiB LICENSE limit like any root LICENSE.
 *
 * @param moduleFiles the module's tree listing, paths relative to the module directory
 * @param inSubdirectory whether the module's directory is below the repository root
 * @param rootLicense the repository root's `LICENSE` entry at the same commit, if there is one
 */
export function inheritedLicense(
  moduleFiles: readonly TreeFile[],
  inSubdirectory: boolean,
  rootLicense: TreeFile | undefined,
): TreeFile | undefined {
  if (!inSubdirectory || rootLicense === undefined) return undefined;
  const hasOwnLicense = moduleFiles.some((file) => file.path === 'LICENSE' && isArchivedFile(file));
  if (hasOwnLicense) return undefined;
  if (!isRegularFile(rootLicense) && rootLicense.mode !== SYMLINK_MODE) return undefined;
  return { path: 'LICENSE', mode: '100644', size: rootLicense.size };
}
