/**
 * A module of a local project, as one request found it (`ServedModule`, service.ts): its versions
 * resolved from the project's git repository as the go command would resolve them in direct mode
 * (modules/module-repo.ts), held to what was served before (pins/pin-guard.ts), its zips from
 * local-zips.ts.
 */
import type { GitRepository } from '../modules/git-repository.ts';
import { checkModulePath } from '../modules/module-path.ts';
import type { ModuleRepo, ModuleVersion } from '../modules/module-repo.ts';
import * as semver from '../modules/semver.ts';
import type { PinGuard } from '../pins/pin-guard.ts';
import type { Pin } from '../pins/store.ts';
import type { CommitFacts, CommitFactsCache, LicenseFact } from '../facts/commit-facts.ts';
import type { LocalZips } from './local-zips.ts';
import type { Project } from './projects.ts';
import type { ServedInfo, ServedModule, VersionList, ZipBody, ZipRequest } from './service.ts';

/** A module request's target: the project that holds the module, and the module within it. */
export interface ModuleTarget {
  readonly project: Project;
  /** The served git repository that holds the module. */
  readonly gitRepository: GitRepository;
  /** The module within it: its versions, resolved as the go command resolves them. */
  readonly module: ModuleRepo;
}

/** What every local module is answered with: the pins that hold its versions, the zip maker, the pages' facts. */
export interface LocalParts {
  readonly pins: PinGuard;
  readonly zips: LocalZips;
  /** What the pages show of each commit, derived once (bounded). */
  readonly facts: CommitFactsCache;
}

/** Most module paths looked at among a repository's tags. */
const MAX_RELATED_MODULES = 50;

export class LocalModule implements ServedModule {
  readonly modulePath: string;
  readonly project: Project;
  readonly owner: string;
  readonly shared: boolean;
  readonly retryAfterSeconds: number | undefined;
  readonly #target: ModuleTarget;
  readonly #parts: LocalParts;

  /** `retryAfterSeconds`: the project is a mirror not fetched yet (mirrors/mirror-set.ts `retryAfter`). */
  constructor(target: ModuleTarget, parts: LocalParts, retryAfterSeconds?: number) {
    this.modulePath = target.module.modulePath;
    this.project = target.project;
    this.owner = target.project.fullPath;
    this.shared = target.project.visibility === 'public';
    this.retryAfterSeconds = retryAfterSeconds;
    this.#target = target;
    this.#parts = parts;
  }

  /**
   * A path below a project that has no tags of its own is a module only if it has a go.mod at the
   * default branch; otherwise it is not found, so that the go command's probes of package paths and
   * prefixes move on fast (a 404 or 410 skips a path silently, any other error fails the lookup:
   * `cmd/go/internal/modload/query.go` `queryPrefixModules`).
   */
  async list(): Promise<VersionList> {
    const { module } = this.#target;
    const versions = await this.#parts.pins.list(this.#target, await module.versions());
    if (versions.length === 0 && module.needsGoMod) await module.latest();
    return { versions, stale: false };
  }

  latest(): Promise<ModuleVersion> {
    return this.#parts.pins.latest(this.#target);
  }

  info(query: string): Promise<ModuleVersion> {
    return this.#parts.pins.stat(this.#target, query);
  }

  exact(version: string): Promise<ModuleVersion> {
    return this.#parts.pins.exact(this.#target, version);
  }

  async mod(version: string, client: string | undefined): Promise<ModuleVersion> {
    const resolved = await this.exact(version);
    if (client !== undefined) await this.#parts.pins.recordGoMod(this.#target, resolved, client);
    return resolved;
  }

  zip(version: ServedInfo, request: ZipRequest): Promise<ZipBody> {
    return this.#parts.zips.open(this.#target, ownVersion(version), request);
  }

  pin(version: string): Promise<Pin | undefined> {
    return this.#parts.pins.store.get(this.#target.project.fullPath, this.modulePath, version);
  }

  zipRefusal(version: ServedInfo): Promise<string | undefined> {
    return this.#parts.zips.refusal(this.#target, ownVersion(version));
  }

  commitFacts(version: ServedInfo): Promise<CommitFacts> {
    return this.#parts.facts.of(ownVersion(version), this.#parts.zips.layoutSource(this.#target));
  }

  licenses(version: ServedInfo): Promise<readonly LicenseFact[]> {
    return this.#parts.facts.licenses(ownVersion(version), this.#target.gitRepository);
  }

  versionFile(version: ServedInfo, path: string, maxBytes: number): Promise<Uint8Array | undefined> {
    return this.#parts.facts.file(ownVersion(version), this.#parts.zips.layoutSource(this.#target), path, maxBytes);
  }

  /**
   * The project's root module and the modules its tags name: in subdirectories (`dir/vX.Y.Z`) and
   * major versions (`vN.…` tags, `/vN` paths), sorted; read from the in-process refs, at most
   * `MAX_RELATED_MODULES`. Whether each is a module with versions is for its own `list` to say.
   */
  async relatedModulePaths(): Promise<readonly string[]> {
    const root = this.#target.project.modulePath;
    const paths = new Set<string>([root]);
    for (const tag of (await this.#target.gitRepository.codeHost.refs()).tags.keys()) {
      if (paths.size >= MAX_RELATED_MODULES) break;
      const path = moduleOfTag(root, tag);
      if (path !== undefined) paths.add(path);
    }
    return [...paths].sort();
  }
}

/** A version this module answered: a `ModuleVersion`, which knows the directory that holds its files. */
function ownVersion(version: ServedInfo): ModuleVersion {
  if (!('dir' in version)) throw new TypeError(`${version.modulePath}@${version.version} is not a local version`);
  return version as ModuleVersion;
}

/** `dir/v2.1.0` → `<root>/dir/v2`; undefined for a tag that is not a canonical version or makes no valid module path. */
function moduleOfTag(root: string, tag: string): string | undefined {
  const slash = tag.lastIndexOf('/');
  const version = tag.slice(slash + 1);
  if (!semver.isValid(version) || semver.canonical(version) !== version) return undefined;
  const major = semver.major(version);
  const dir = slash < 0 ? '' : `/${tag.slice(0, slash)}`;
  // A project whose own path ends in its major version (`…/v2`) holds that major at its root.
  const suffix = major === 'v0' || major === 'v1' || (dir === '' && root.endsWith(`/${major}`)) ? '' : `/${major}`;
  const modulePath = `${root}${dir}${suffix}`;
  return checkModulePath(modulePath) === undefined ? modulePath : undefined;
}
