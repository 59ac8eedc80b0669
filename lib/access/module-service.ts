/**
 * The proxy's model, free of HTTP: which project and module a request names (within its scope),
 * the repositories behind them, and the module zip of a version.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Caller } from './auth.ts';
import { logAuthEvent, mayRead } from './auth.ts';
import { notFound } from '../common/errors.ts';
import { GitRepository } from '../modules/git-repository.ts';
import type { ModuleVersion } from '../modules/module-repo.ts';
import { ModuleRepo } from '../modules/module-repo.ts';
import type { Project } from './projects.ts';
import { ProjectIndex } from './projects.ts';
import { ImmutableCache } from '../common/immutable-cache.ts';
import { layoutWeight, openModuleZip, type ModuleZipStream, type ZipLayout } from '../zip/source.ts';
import { Limiter } from '../git/limiter.ts';
import { ShadowRepos } from '../git/archive.ts';
import { PinGuard, type FileDigestSink } from '../pins/pin-guard.ts';
import { PinStore } from '../pins/file-store.ts';
import { logger } from '../common/log.ts';
import { ZipCache, zipCacheKey, type CachedZip } from '../zip/cache.ts';
import type { CompressionLevel } from '../git/archive.ts';
import type { ProjectIndexOptions } from './projects.ts';

/** Which projects a module request may be answered from. `id` is a numeric id or a full path. */
export type Scope =
  | { readonly kind: 'instance' }
  | { readonly kind: 'project'; readonly id: string }
  | { readonly kind: 'group'; readonly id: string };

/** What the service is built from (the resolved options, less what only HTTP and logging use). */
export interface ServiceOptions extends ProjectIndexOptions {
  readonly compression: CompressionLevel;
  /** Most git processes at once; undefined: 2 × CPU cores. */
  readonly maxGit: number | undefined;
  readonly zipCacheMiB: number | undefined;
  readonly dataDir: string | undefined;
}

/** A module request's target: the project that holds the module, and the module within it. */
export interface ModuleTarget {
  readonly project: Project;
  /** The served git repository that holds the module. */
  readonly gitRepository: GitRepository;
  /** The module within it: its versions, resolved as the go command resolves them. */
  readonly module: ModuleRepo;
}

/** The proxy's own state directory (shadow git dirs, pins): `dataDir`, else `<repos>/.git-goproxy`. */
export function dataDirectory(options: ServiceOptions): string {
  return options.dataDir ?? join(options.repos, '.git-goproxy');
}

/** Files, over all kept zip layouts: about 100 bytes of memory each. */
const MAX_LAYOUT_FILES = 250_000;

export class ModuleService {
  readonly projects: ProjectIndex;
  readonly limiter: Limiter;
  readonly #options: ServiceOptions;
  readonly #repositories = new Map<string, GitRepository>();
  readonly #shadows: ShadowRepos;
  /** Served versions stay as served (pin-guard.ts). */
  readonly pins: PinGuard;
  /** Complete zips on disk and single-flight builds, when `zipCacheMiB` is set. */
  readonly zipCache: ZipCache | undefined;
  /** What each commit's module zip holds, planned once: a repeat zip starts with no listing. */
  readonly #zipLayouts = new ImmutableCache<ZipLayout>({ maxEntries: 1_000, maxWeight: MAX_LAYOUT_FILES, weigh: layoutWeight });

  constructor(options: ServiceOptions) {
    this.#options = options;
    this.projects = new ProjectIndex(options);
    this.limiter = new Limiter({ concurrency: options.maxGit ?? 2 * cpus().length });
    const dataDir = dataDirectory(options);
    this.#shadows = new ShadowRepos(join(dataDir, 'shadow'));
    const warn = (message: string) => logger.warn(message);
    this.pins = new PinGuard({ store: PinStore.open(dataDir, warn), warn, limiter: this.limiter });
    const cacheMiB = options.zipCacheMiB;
    this.zipCache = cacheMiB === undefined ? undefined : new ZipCache({ dir: join(dataDir, 'zips'), maxBytes: cacheMiB * 2 ** 20 });
  }

  /**
   * The module a request names. In a project scope the module must be that project's module or a
   * subdirectory / major version of it; in a group scope the project must be below the group.
   * Everything else is "not found", the same answer whether or not a project exists; a project the
   * caller may not read does not exist for them (and the denial is logged).
   */
  module(scope: Scope, modulePath: string, caller: Caller): ModuleTarget {
    const project = this.#projectFor(scope, modulePath, (candidate) => mayRead(caller, candidate));
    const unknown = () => notFound(`module ${modulePath}: no such module on this server`);
    if (project === undefined) {
      this.#reportDenied(scope, modulePath, caller);
      throw unknown();
    }
    const target = this.#target(project, modulePath);
    if (target === undefined) throw unknown();
    return target;
  }

  /**
   * The `list` answer. A path below a project that has no tags of its own is a module only if it
   * has a go.mod at the default branch; otherwise it is not found, so that the go command's probes
   * of package paths and prefixes move on fast (a 404 or 410 skips a path silently, any other error
   * fails the lookup: `cmd/go/internal/modload/query.go` `queryPrefixModules`).
   */
  async list(target: ModuleTarget): Promise<string[]> {
    const versions = this.pins.list(target.module, await target.module.versions());
    if (versions.length === 0 && target.module.needsGoMod) await target.module.latest();
    return versions;
  }

  /** Plans and starts the zip of a version; throws a 4xx before any byte when the go command would refuse it. */
  zip(target: ModuleTarget, version: ModuleVersion, signal: AbortSignal): Promise<ModuleZipStream> {
    return this.pins.zip(version, (onFileDigest) => this.openZip(target, version, signal, onFileDigest));
  }

  /** Whether a version's zip is complete in the zip cache. */
  hasCachedZip(version: ModuleVersion): boolean {
    return this.zipCache?.has(zipCacheKey(version, this.#options.compression)) ?? false;
  }

  /** The zip of a version through the zip cache (built once for concurrent requests); the cache must be on. */
  cachedZip(target: ModuleTarget, version: ModuleVersion): Promise<CachedZip> {
    const key = zipCacheKey(version, this.#options.compression);
    return this.zipCache!.open(key, (signal) => this.zip(target, version, signal));
  }

  /** The zip of a version without pinning it, each file's digest reported to `onFileDigest` (`pins verify`). */
  openZip(target: ModuleTarget, version: ModuleVersion, signal: AbortSignal, onFileDigest?: FileDigestSink): Promise<ModuleZipStream> {
    const { gitDir, objects } = target.gitRepository;
    const level = this.#options.compression;
    return openModuleZip(version, { gitDir, objects, shadows: this.#shadows, limiter: this.limiter, level, signal, onFileDigest, layouts: this.#zipLayouts });
  }

  /**
   * The module at a path, found in any project whatever its visibility, once the first scan of
   * `repos` is done: for operator commands, never for requests.
   */
  async operatorTarget(modulePath: string): Promise<ModuleTarget | undefined> {
    await this.projects.ready;
    const project = this.projects.forModule(modulePath)?.project;
    return project === undefined ? undefined : this.#target(project, modulePath);
  }

  /** The module at `modulePath` inside `project`, or undefined when the project cannot hold it. */
  #target(project: Project, modulePath: string): ModuleTarget | undefined {
    const gitRepository = this.#repository(project);
    const module = ModuleRepo.open(gitRepository.codeHost, project.modulePath, modulePath);
    return module === undefined ? undefined : { project, gitRepository, module };
  }

  /** Stops project discovery and every long-lived git process. */
  async close(): Promise<void> {
    this.projects.close();
    const closing = [...this.#repositories.values()].map((repository) => repository.close());
    this.#repositories.clear();
    await Promise.all([...closing, this.pins.store.close()]);
  }

  #projectFor(scope: Scope, modulePath: string, readable: (project: Project) => boolean): Project | undefined {
    switch (scope.kind) {
      case 'instance':
        return this.projects.forModule(modulePath, readable)?.project;
      case 'project': {
        const project = this.projects.byId(scope.id);
        const inProject = project !== undefined && (modulePath === project.modulePath || modulePath.startsWith(`${project.modulePath}/`));
        return inProject && readable(project) ? project : undefined;
      }
      case 'group':
        return this.projects.forModule(modulePath, (project) => this.#inGroup(project, scope.id) && readable(project))?.project;
    }
  }

  /** The readable project an import path falls in, as the instance-wide endpoint finds it (go-get pages). */
  projectForImport(importPath: string, caller: Caller): Project | undefined {
    const scope: Scope = { kind: 'instance' };
    const project = this.#projectFor(scope, importPath, (candidate) => mayRead(caller, candidate));
    if (project === undefined) this.#reportDenied(scope, importPath, caller);
    return project;
  }

  /** Logs a request that would have found a project had the caller been allowed to read it. */
  #reportDenied(scope: Scope, modulePath: string, caller: Caller): void {
    const hidden = this.#projectFor(scope, modulePath, () => true);
    if (hidden === undefined || mayRead(caller, hidden)) return;
    logAuthEvent({ event: 'access denied', project: hidden.fullPath, token: caller.tokenName, client: caller.address });
  }

  #inGroup(project: Project, groupId: string): boolean {
    return project.fullPath.startsWith(`${groupId}/`);
  }

  #repository(project: Project): GitRepository {
    let repository = this.#repositories.get(project.gitDir);
    if (repository === undefined) {
      repository = new GitRepository(project.gitDir, this.limiter);
      this.#repositories.set(project.gitDir, repository);
    }
    return repository;
  }
}
