/**
 * Module versions out of a repository, answered exactly as the go command's direct mode would.
 *
 * This is a port of the decisions in golang/go `cmd/go/internal/modfetch/coderepo.go` (Go 1.19):
 * `Versions` + `appendIncompatibleVersions` (the list), `Stat` + `convert` (a query → a canonical
 * version), `validatePseudoVersion`, `findDir` (where a module's files are at a revision) and
 * `GoMod`, and of `codehost/git.go` `stat` (how a revision string is looked up). A module is
 * `<project module path>[/<dir>][/vN]`; its tags are `<dir>/vX.Y.Z`. Semver, major suffixes and
 * pseudo-versions follow `golang.org/x/mod` `semver/semver.go`, `module/module.go`, `module/pseudo.go`.
 *
 * Retractions stay in the list (as in direct mode, the list is whole); as in direct mode, a retracted
 * tag is never a pseudo-version base nor the version a commit resolves to (`retractedVersions`).
 *
 * Tags are looked up in the snapshot's `TagIndex` (tag-index.ts): a module sees only its own
 * directory's tags, and its list and pseudo-version bases are computed once per ref snapshot.
 */
import { notFound, ProxyError } from '../common/errors.ts';
import { couldBeRefName } from '../git/ref-name.ts';
import type { Refs } from '../git/refs.ts';
import { declaredModulePath, legacyGoMod, MAX_GO_MOD } from './gomod.ts';
import { checkPathMajor, splitPathVersion } from './module-path.ts';
import { laxGoMod } from './gomod-lax.ts';
import { isRetracted } from './retract.ts';
import {
  isPseudoVersion,
  makePseudoVersion,
  pseudoTimestamp,
  pseudoVersionBase,
  pseudoVersionRev,
  pseudoVersionTime,
} from './pseudo.ts';
import * as semver from './semver.ts';
import { TagIndex } from './tag-index.ts';

/** A hex prefix's commit, or the news that several commits share it. */
export type HexResolution = { readonly oid: string } | { readonly ambiguous: true };

/** What the resolver needs from a repository. All inputs are validated oids, hex prefixes or paths. */
export interface CodeHost {
  /** The repository's refs, as the git layer reads them (tags peeled to commits). */
  refs(): Promise<Refs>;
  /** Committer time of a commit, or undefined when `oid` is not a commit. */
  commitTime(oid: string): Promise<Date | undefined>;
  /** A blob at a commit (go.mod files), or undefined when there is no file there. */
  readFile(commit: string, path: string): Promise<Uint8Array | undefined>;
  /**
   * The commit a hex prefix of 7 to 40 digits names among the commits `refs` reach (HEAD, branches,
   * tags and their history): what the go command's clone in direct mode holds. Commits outside
   * them are unknown.
   */
  resolveHexPrefix(hex: string, refs: Refs): Promise<HexResolution | undefined>;
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  /**
   * Names of the tags (without `refs/tags/`) whose commits are reachable from `commit`, among those
   * whose name starts with `tagPrefix` ('' or a directory ending in `/`).
   */
  tagsReachableFrom(commit: string, tagPrefix: string): Promise<string[]>;
}

/** A version of a module, resolved to the commit and directory that hold its files. */
export interface ModuleVersion {
  readonly modulePath: string;
  readonly version: string;
  readonly commit: string;
  /** Committer time of the commit (as `.info` writes it: `infoTime`). */
  readonly time: Date;
  /** The module's directory in the repository ('' for the root). */
  readonly dir: string;
  /** The `.mod` answer: the go.mod blob, or the synthesized `module <path>\n`. */
  readonly goMod: Uint8Array;
  /** The tag the version came from, when it is a tagged version. */
  readonly tag: string | undefined;
}

/** A version's time as `.info` writes it (and a pin records it): RFC 3339 in UTC, whole seconds. */
export function infoTime(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A revision as `codehost.Stat` sees it. */
interface RevInfo {
  readonly commit: string;
  readonly short: string;
  readonly time: Date;
  /** The requested tag name when the revision was requested by a tag on this commit; else the commit. */
  readonly version: string;
  /** All tags on the commit, sorted. */
  readonly tags: readonly string[];
}

const HEX_PREFIX = /^[0-9a-f]{7,40}$/;
const INCOMPATIBLE = '+incompatible';

/** Thrown for every "this version does not exist as asked": 404 with the go command's reason. */
const invalidVersion = (modulePath: string, version: string, reason: string) =>
  notFound(`${modulePath}@${version}: invalid version: ${reason}`);

/** A pseudo-version that `validatePseudoVersion` refuses (`module.InvalidVersionError` with `Pseudo`). */
const invalidPseudoVersion = (modulePath: string, version: string, reason: string) =>
  notFound(`${modulePath}@${version}: invalid pseudo-version: ${reason}`);

/**
 * One module of one repository, for one request (or one operator command): the repository's refs
 * are read once, on first use, and that snapshot answers everything this object is asked, so its
 * answers agree with one state of the repository (and `@latest`, which looks at the tags several
 * times, checks the ref files once).
 */
export class ModuleRepo {
  readonly modulePath: string;
  readonly #host: CodeHost;
  #refs: Promise<Refs> | undefined;
  readonly #codeRoot: string;
  readonly #pathPrefix: string;
  readonly #pathMajor: string;
  readonly #codeDir: string;
  /** The major of pseudo-versions without a base: '' (v0) or `vN`. */
  readonly #pseudoMajor: string;
  readonly #tagPrefix: string;

  /**
   * `codeRoot` is the module path of the repository root; `modulePath` must start with it.
   * Returns undefined when `modulePath` is not a module path that this repository could hold.
   */
  static open(host: CodeHost, codeRoot: string, modulePath: string): ModuleRepo | undefined {
    const split = splitPathVersion(modulePath);
    if (split === undefined) return undefined;
    const { pathMajor } = split;
    // A repository rooted at the whole path, major suffix included (a go-import root or a project
    // named `…/v2`), holds the module at its root (Go 1.19 `coderepo.go` `newCodeRepo`).
    const prefix = modulePath === codeRoot ? codeRoot : split.prefix;
    let codeDir: string;
    if (prefix === codeRoot) codeDir = '';
    else if (prefix.startsWith(`${codeRoot}/`)) codeDir = prefix.slice(codeRoot.length + 1);
    else return undefined;
    return new ModuleRepo(host, { codeRoot, modulePath, pathPrefix: prefix, pathMajor, codeDir });
  }

  private constructor(
    host: CodeHost,
    where: { codeRoot: string; modulePath: string; pathPrefix: string; pathMajor: string; codeDir: string },
  ) {
    this.#host = host;
    this.modulePath = where.modulePath;
    this.#codeRoot = where.codeRoot;
    this.#pathPrefix = where.pathPrefix;
    this.#pathMajor = where.pathMajor;
    this.#codeDir = where.codeDir;
    this.#pseudoMajor = where.pathMajor === '' ? '' : where.pathMajor.slice(1);
    this.#tagPrefix = where.codeDir === '' ? '' : `${where.codeDir}/`;
  }

  #readRefs(): Promise<Refs> {
    this.#refs ??= this.#host.refs();
    return this.#refs;
  }

  /** Whether this module path has a directory of its own (subdirectory or /vN): it must then have a go.mod. */
  get needsGoMod(): boolean {
    return this.#codeDir !== '' || this.#pathMajor !== '';
  }

  /**
   * The `list` answer: canonical tagged versions of exactly this module, sorted (`codeRepo.Versions`),
   * computed once per ref snapshot from the module directory's own tags.
   */
  async versions(): Promise<readonly string[]> {
    const refs = await this.#readRefs();
    const index = TagIndex.of(refs);
    return index.answer(`list ${this.modulePath}`, () => {
      const list: string[] = [];
      const incompatible: string[] = [];
      for (const { version: v } of index.tagsIn(this.#tagPrefix)) {
        if (v === '' || v !== semver.canonical(v) || isPseudoVersion(v)) continue;
        if (checkPathMajor(v, this.#pathMajor)) list.push(v);
        else if (this.#codeDir === '' && this.#pathMajor === '' && semver.compare(semver.major(v), 'v1') > 0) {
          incompatible.push(v);
        }
      }
      return this.#appendIncompatibleVersions(semver.sortVersions(list), semver.sortVersions(incompatible), refs.tags);
    });
  }

  /** Resolves a query (`.info`): a version, pseudo-version, tag, branch, commit hash, `HEAD` or `latest`. */
  async stat(query: string): Promise<ModuleVersion> {
    if (query === 'latest') return this.latest();
    const info = await this.#statRevision(this.#queryToRevision(query), query);
    return this.#convert(info, query);
  }

  /**
   * A canonical version for `.mod` and `.zip`: it must resolve to exactly itself, as the go
   * command's `GoMod`/`Zip` require (a branch named like a version is not that version).
   */
  async exact(version: string): Promise<ModuleVersion> {
    if (version !== semver.canonicalKeepingIncompatible(version)) {
      throw invalidVersion(this.modulePath, version, 'version is not canonical');
    }
    const resolved = await this.stat(version);
    if (resolved.version !== version) {
      throw invalidVersion(this.modulePath, version, `resolves to version ${resolved.version}`);
    }
    return resolved;
  }

  /** `@latest`: the highest release, else the highest pre-release, else the default branch head. */
  async latest(): Promise<ModuleVersion> {
    const versions = await this.versions();
    const releases = versions.filter((v) => semver.prerelease(v) === '');
    const best = releases.at(-1) ?? versions.at(-1);
    if (best !== undefined) return this.stat(best);
    const info = await this.#statRevision('HEAD', 'latest');
    return this.#convert(info, '');
  }

  /**
   * `version` with its files at `commit`, whatever the tags say now: how a pinned version is
   * served after its tag moved (pins/file-store.ts). Undefined when the commit is no longer in the repository.
   */
  async atCommit(version: string, commit: string): Promise<ModuleVersion | undefined> {
    const time = await this.#host.commitTime(commit);
    if (time === undefined) return undefined;
    const location = await this.#findDir(commit, version);
    return { modulePath: this.modulePath, version, commit, time, tag: undefined, ...location };
  }

  // ——— revisions (codehost/git.go) ———

  /** `codeRepo.revToRev`: the git revision a query names. */
  #queryToRevision(query: string): string {
    if (!semver.isValid(query)) return query;
    if (isPseudoVersion(query)) return pseudoVersionRev(query);
    const tagVersion = query.endsWith(INCOMPATIBLE) ? query.slice(0, -INCOMPATIBLE.length) : query;
    return this.#tagPrefix + tagVersion;
  }

  /** `gitRepo.stat`: tag, then branch, then HEAD, then a hex prefix of a ref's commit, then of a commit the refs reach. */
  async #statRevision(rev: string, query: string): Promise<RevInfo> {
    const unknown = () => invalidVersion(this.modulePath, query, `unknown revision ${rev}`);
    // What no ref can be named is unknown without a look at the repository (git/ref-name.ts).
    if (!couldBeRefName(rev)) throw unknown();
    const refs = await this.#readRefs();
    let commit = refs.tags.get(rev) ?? refs.branches.get(rev) ?? (rev === 'HEAD' ? refs.headCommit : undefined);
    if (commit === undefined && HEX_PREFIX.test(rev)) commit = await this.#resolveHex(rev, refs, query);
    if (commit === undefined) throw unknown();
    const time = await this.#host.commitTime(commit);
    if (time === undefined) throw unknown();
    const tags = TagIndex.of(refs).tagsOn(commit);
    return { commit, short: commit.slice(0, 12), time, version: tags.includes(rev) ? rev : commit, tags };
  }

  async #resolveHex(hex: string, refs: Refs, query: string): Promise<string | undefined> {
    const tips = [
      ...refs.tags.values(),
      ...refs.branches.values(),
      ...(refs.headCommit === undefined ? [] : [refs.headCommit]),
    ];
    const refCommits = new Set(tips.filter((oid) => oid.startsWith(hex)));
    if (refCommits.size > 1) throw invalidVersion(this.modulePath, query, `ambiguous revision ${hex}`);
    if (refCommits.size === 1) return [...refCommits][0];
    const found = await this.#host.resolveHexPrefix(hex, refs);
    if (found !== undefined && 'ambiguous' in found) {
      throw invalidVersion(this.modulePath, query, `ambiguous revision ${hex}`);
    }
    return found?.oid;
  }

  // ——— revision → version (coderepo.go convert) ———

  async #convert(info: RevInfo, statVers: string): Promise<ModuleVersion> {
    const incompatibleOk = new Map<string, boolean>();
    const canUseIncompatible = async (v: string): Promise<boolean> => {
      if (this.#codeDir !== '' || this.#pathMajor !== '') return false;
      if (!(await this.#memo(incompatibleOk, '', async () => !(await this.#hasFile(info.commit, 'go.mod'))))) {
        return false;
      }
      if (v !== '' && !statVers.endsWith(INCOMPATIBLE)) {
        const major = semver.major(v);
        return this.#memo(incompatibleOk, major, async () => !(await this.#hasFile(info.commit, `${major}/go.mod`)));
      }
      return true;
    };
    const checkCanonical = (v: string) => this.#checkCanonical(info, statVers, v, canUseIncompatible);

    if (isPseudoVersion(statVers)) {
      await this.#validatePseudoVersion(info, statVers);
      return checkCanonical(statVers);
    }

    const fromTag = this.#tagToVersion(info.version);
    if (fromTag.canonical) {
      const resolved = await checkCanonical(fromTag.version).catch((error: unknown) => {
        if (error instanceof ProxyError) return undefined;
        throw error;
      });
      if (resolved !== undefined) return resolved;
    }

    // Read only when a tag has to be judged (Go reads it up front; a failure means "none retracted").
    let retracted: Promise<(v: string) => boolean> | undefined;
    const isRetractedVersion = async (v: string) => (await (retracted ??= this.#retractedVersions()))(v);

    let highestCanonical = '';
    let pseudoBase = '';
    for (const tag of info.tags) {
      const { version: v, canonical } = this.#tagToVersion(tag);
      if (statVers !== '' && v !== '' && semver.compare(v, statVers) === 0) {
        if (canonical) return checkCanonical(v);
        pseudoBase = v;
      }
      if (canonical && semver.compare(highestCanonical, v) < 0 && !(await isRetractedVersion(v))) {
        if (checkPathMajor(v, this.#pathMajor) || (await canUseIncompatible(v))) highestCanonical = v;
      }
    }
    if (highestCanonical !== '') return checkCanonical(highestCanonical);

    const tagAllowed = async (tag: string): Promise<boolean> => {
      const { version: v } = this.#tagToVersion(tag);
      if (v === '') return false;
      if (!checkPathMajor(v, this.#pathMajor) && !(await canUseIncompatible(v))) return false;
      return !(await isRetractedVersion(v));
    };
    if (pseudoBase === '') pseudoBase = await this.#recentTagVersion(info.commit, tagAllowed);
    return checkCanonical(makePseudoVersion(this.#pseudoMajor, pseudoBase, info.time, info.short));
  }

  /**
   * `retractedVersions`: whether a version is retracted by the go.mod of the module's latest
   * version (the highest release before any +incompatible one, else the highest pre-release).
   * A latest version whose go.mod cannot be found retracts nothing, as in direct mode.
   */
  async #retractedVersions(): Promise<(v: string) => boolean> {
    const none = () => false;
    const listed = await this.versions();
    const firstIncompatible = listed.findIndex((v) => v.endsWith(INCOMPATIBLE));
    const versions = firstIncompatible < 0 ? listed : listed.slice(0, firstIncompatible);
    const latest = versions.filter((v) => semver.prerelease(v) === '').at(-1) ?? versions.at(-1);
    const commit = latest === undefined ? undefined : (await this.#readRefs()).tags.get(this.#tagPrefix + latest);
    if (latest === undefined || commit === undefined) return none;
    let goMod: Uint8Array;
    try {
      ({ goMod } = await this.#findDir(commit, latest));
    } catch (error) {
      if (error instanceof ProxyError) return none;
      throw error;
    }
    const intervals = (await laxGoMod(goMod)).retractions;
    return (v) => isRetracted(v, intervals);
  }

  /** `tagToVersion`: the version a tag names for this module ('' if none), and whether it is canonical. */
  #tagToVersion(tag: string): { version: string; canonical: boolean } {
    const none = { version: '', canonical: false };
    if (!tag.startsWith(this.#tagPrefix)) return none;
    const trimmed = tag.slice(this.#tagPrefix.length);
    if (isPseudoVersion(tag)) return none;
    const v = semver.canonical(trimmed);
    if (v === '' || !trimmed.startsWith(v)) return none;
    return { version: v, canonical: v === trimmed };
  }

  /**
   * `RecentTag`: the version of the highest tag reachable from the commit that `tagAllowed` accepts,
   * or ''. A module directory without tags has none, with no walk of the history (the go command
   * probes every prefix of a package path, and most have no tags); else the walk is done once per
   * commit and ref snapshot.
   */
  async #recentTagVersion(commit: string, tagAllowed: (tag: string) => Promise<boolean>): Promise<string> {
    const index = TagIndex.of(await this.#readRefs());
    if (index.tagsIn(this.#tagPrefix).length === 0) return '';
    const reachable = await index.answer(
      `reachable ${commit} ${this.#tagPrefix}`,
      () => this.#host.tagsReachableFrom(commit, this.#tagPrefix),
    );
    let highest = '';
    for (const tag of reachable) {
      if (!tag.startsWith(this.#tagPrefix) || !(await tagAllowed(tag))) continue;
      const semtag = tag.slice(this.#tagPrefix.length);
      if (semver.compare(semtag, highest) > 0) highest = semtag;
    }
    return highest === '' ? '' : this.#tagToVersion(this.#tagPrefix + highest).version;
  }

  /** `checkCanonical`: the version must fit the module path (adding `+incompatible` where allowed) and findDir. */
  async #checkCanonical(
    info: RevInfo,
    statVers: string,
    candidate: string,
    canUseIncompatible: (v: string) => Promise<boolean>,
  ): Promise<ModuleVersion> {
    const location = await this.#findDir(info.commit, candidate);
    let v = candidate === stripIncompatible(statVers) ? statVers : candidate;
    const base = stripIncompatible(v);
    let problem: string | undefined;
    if (!checkPathMajor(base, this.#pathMajor)) {
      if (await canUseIncompatible(base)) v = base + INCOMPATIBLE;
      else if (this.#pathMajor !== '') {
        problem = 'module path includes a major version suffix, so major version must match';
      } else {
        problem = `module contains a go.mod file, so module path must match major version ("${this.#pathPrefix}/${
          semver.major(v)
        }")`;
      }
    } else if (v.endsWith(INCOMPATIBLE)) {
      problem = `+incompatible suffix not allowed: major version ${semver.major(v)} is compatible`;
    }
    if (
      statVers !== '' && statVers === semver.canonicalKeepingIncompatible(statVers) &&
      stripIncompatible(statVers) !== base
    ) {
      throw invalidVersion(
        this.modulePath,
        statVers,
        `resolves to version ${v} (${stripIncompatible(statVers)} is not a tag)`,
      );
    }
    if (problem !== undefined) throw invalidVersion(this.modulePath, v, problem);
    const tag = info.tags.includes(this.#tagPrefix + base) ? this.#tagPrefix + base : undefined;
    return { modulePath: this.modulePath, version: v, commit: info.commit, time: info.time, tag, ...location };
  }

  /** `findDir`: where the module's files are at a commit, and its go.mod (synthesized when allowed). */
  async #findDir(commit: string, version: string): Promise<{ dir: string; goMod: Uint8Array }> {
    // Every reason ends with the revision the version names (`versionToRev`), as direct mode's do.
    const rev = this.#queryToRevision(version);
    const fail = (reason: string) => invalidVersion(this.modulePath, version, `${reason} at revision ${rev}`);
    const file1 = joinPath(this.#codeDir, 'go.mod');
    const goMod1 = await this.#readGoMod(commit, file1, version);
    const mpath1 = goMod1 === undefined ? '' : declaredModulePath(goMod1);
    const found1 = goMod1 !== undefined && isMajor(mpath1, this.#pathMajor);
    let file2 = '';
    if (this.#pathMajor !== '' && this.#codeRoot !== this.modulePath) {
      const dir2 = joinPath(this.#codeDir, this.#pathMajor.slice(1));
      file2 = joinPath(dir2, 'go.mod');
      const goMod2 = await this.#readGoMod(commit, file2, version);
      const mpath2 = goMod2 === undefined ? '' : declaredModulePath(goMod2);
      const found2 = goMod2 !== undefined && isMajor(mpath2, this.#pathMajor);
      if (found1 && found2) {
        throw fail(
          `${this.#pathPrefix}/${file1} and ...${this.#pathMajor}/go.mod both have ...${this.#pathMajor} module paths`,
        );
      }
      if (found2) return { dir: dir2, goMod: goMod2 };
      if (goMod2 !== undefined) {
        const where = `${this.#codeRoot}/${file2}`;
        throw fail(
          mpath2 === ''
            ? `${where} is missing module path`
            : `${where} has non-...${this.#pathMajor} module path "${mpath2}"`,
        );
      }
    }
    if (found1) return { dir: this.#codeDir, goMod: goMod1 };
    const suffix = file2 === '' ? '' : ` (and ...${this.#pathMajor}/go.mod does not exist)`;
    if (goMod1 !== undefined) {
      if (mpath1 === '') throw fail(`${file1} is missing module path${suffix}`);
      if (this.#pathMajor !== '') throw fail(`${file1} has non-...${this.#pathMajor} module path "${mpath1}"${suffix}`);
      if (splitPathVersion(mpath1) === undefined) throw fail(`${file1} has malformed module path "${mpath1}"${suffix}`);
      throw fail(`${file1} has post-${semver.major(version)} module path "${mpath1}"${suffix}`);
    }
    if (this.#codeDir === '' && this.#pathMajor === '') return { dir: '', goMod: legacyGoMod(this.modulePath) };
    if (file2 !== '') throw fail(`missing ${this.#pathPrefix}/go.mod and ...${this.#pathMajor}/go.mod`);
    throw fail(`missing ${this.#pathPrefix}/go.mod`);
  }

  /** `validatePseudoVersion`: the checks direct mode runs before it trusts a pseudo-version. */
  async #validatePseudoVersion(info: RevInfo, version: string): Promise<void> {
    // Go 1.19 checks no major version here: checkCanonical refuses a wrong one afterwards.
    const fail = (reason: string) => invalidPseudoVersion(this.modulePath, version, reason);
    const rev = pseudoVersionRev(version);
    if (rev !== info.short) {
      if (rev.startsWith(info.short)) throw fail(`revision is longer than canonical (expected ${info.short})`);
      if (info.short.startsWith(rev)) throw fail(`revision is shorter than canonical (expected ${info.short})`);
      throw fail(`does not match short name of revision (expected ${info.short})`);
    }
    const expectedTime = pseudoTimestamp(info.time);
    if (pseudoVersionTime(version) !== expectedTime) {
      throw fail(`does not match version-control timestamp (expected ${expectedTime})`);
    }
    const base = pseudoVersionBase(stripIncompatible(version));
    if (base === undefined) throw fail('malformed pseudo-version');
    if (base === '') {
      if (this.#pseudoMajor === '' && semver.major(version) === 'v1') {
        throw fail('major version without preceding tag must be v0, not v1');
      }
      return;
    }
    const sameCommit = info.tags.find((tag) =>
      tag.slice(this.#tagPrefix.length) === base && tag.startsWith(this.#tagPrefix)
    );
    if (sameCommit !== undefined) {
      throw fail(
        `tag (${sameCommit}) found on revision ${rev} is already canonical, so should not be replaced with a pseudo-version derived from that tag`,
      );
    }
    await this.#checkBaseIsAncestor(info, base, rev, fail);
  }

  async #checkBaseIsAncestor(info: RevInfo, base: string, rev: string, fail: (reason: string) => Error): Promise<void> {
    let lastTag = '';
    for (const { name, version, commit } of TagIndex.of(await this.#readRefs()).tagsIn(this.#tagPrefix)) {
      if (!version.startsWith(base) || semver.compare(version, base) !== 0) continue;
      lastTag = name;
      if (await this.#host.isAncestor(commit, info.commit)) return;
    }
    if (lastTag === '') throw fail(`preceding tag (${base}) not found`);
    throw fail(`revision ${rev} is not a descendent of preceding tag (${lastTag})`);
  }

  // ——— helpers ———

  /** `appendIncompatibleVersions`: +incompatible versions are listed only where no go.mod says otherwise. */
  async #appendIncompatibleVersions(
    list: string[],
    incompatible: string[],
    tags: ReadonlyMap<string, string>,
  ): Promise<string[]> {
    if (incompatible.length === 0 || this.#pathMajor !== '') return list;
    const hasGoMod = (v: string) => this.#hasFile(tags.get(v)!, 'go.mod');
    const latestCompatible = list.at(-1);
    if (latestCompatible !== undefined && (await hasGoMod(latestCompatible))) return list;
    const result = [...list];
    const hasGoModByMajor = new Map<string, boolean>();
    for (const v of incompatible) {
      const major = semver.major(v);
      const latestAtMajor = incompatible.filter((w) => semver.major(w) === major).at(-1)!;
      if (!(await this.#memo(hasGoModByMajor, major, () => hasGoMod(latestAtMajor)))) result.push(v + INCOMPATIBLE);
    }
    return result;
  }

  async #readGoMod(commit: string, path: string, version: string): Promise<Uint8Array | undefined> {
    const data = await this.#host.readFile(commit, path);
    if (data !== undefined && data.length > MAX_GO_MOD) {
      throw invalidVersion(this.modulePath, version, `${path} is too large`);
    }
    return data;
  }

  async #hasFile(commit: string, path: string): Promise<boolean> {
    return (await this.#host.readFile(commit, path)) !== undefined;
  }

  async #memo<K>(cache: Map<K, boolean>, key: K, compute: () => Promise<boolean>): Promise<boolean> {
    const known = cache.get(key);
    if (known !== undefined) return known;
    const value = await compute();
    cache.set(key, value);
    return value;
  }
}

/** `isMajor`: whether a go.mod's module path fits the major version implied by `pathMajor`. */
function isMajor(mpath: string, pathMajor: string): boolean {
  if (mpath === '') return false;
  const split = splitPathVersion(mpath);
  if (split === undefined) return false;
  if (pathMajor === '') return split.pathMajor === '' || split.pathMajor === '/v0' || split.pathMajor === '/v1';
  if (split.pathMajor === '') return false;
  return pathMajor.slice(1) === split.pathMajor.slice(1);
}

function stripIncompatible(v: string): string {
  return v.endsWith(INCOMPATIBLE) ? v.slice(0, -INCOMPATIBLE.length) : v;
}

function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}
