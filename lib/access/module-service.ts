/**
 * The proxy's model, free of HTTP: which project and module a request names (within its scope),
 * the repositories behind them, and the module zip of a version.
 *
 * A module path's owner is the project with the longest module path that is a prefix of it (at a
 * `/`), among the projects the caller may read: one they may not read does not exist for them, and
 * the owner it leaves answers them as if it held no module at its path. Pins belong to the owner.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Caller } from './auth.ts';
import { logAuthEvent, mayRead } from './auth.ts';
import { notFound, ProxyError } from '../common/errors.ts';
import { GitRepository } from '../modules/git-repository.ts';
import { hideDirectory } from '../modules/hidden-directory.ts';
import type { ModuleVersion } from '../modules/module-repo.ts';
import { ModuleRepo } from '../modules/module-repo.ts';
import type { Project } from './projects.ts';
import { ProjectIndex } from './projects.ts';
import { ImmutableCache } from '../common/immutable-cache.ts';
import {
  describeModuleZip,
  type LayoutOptions,
  layoutWeight,
  type ModuleZipStream,
  openModuleZip,
  type ZipContents,
  type ZipLayout,
  zipLayout,
} from '../zip/source.ts';
import { Limiter } from '../git/limiter.ts';
import { HelperPool } from '../git/helper-pool.ts';
import { ShadowRepos } from '../git/archive.ts';
import { type FileDigestSink, PinGuard } from '../pins/pin-guard.ts';
import { FilePinStore } from '../pins/file-store.ts';
import { PostgresPinStore } from '../pins/postgres-store.ts';
import type { PinStore } from '../pins/store.ts';
import { NewPinLimit } from '../pins/new-pin-limit.ts';
import { zipHashOf } from '../zip/hash.ts';
import { logger } from '../common/log.ts';
import { type CachedZip, ZipCache, zipCacheKey } from '../zip/cache.ts';
import { ZipSpool } from '../zip/spool.ts';
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
  /** Most long-lived `cat-file` helpers at once, over all repositories; undefined: 32. */
  readonly maxObjectReaders: number | undefined;
  readonly zipCacheMiB: number | undefined;
  /** Most MiB of zips spooled to disk at once for clients slower than git. */
  readonly zipSpoolMiB: number;
  readonly dataDir: string | undefined;
  /** New pins one client may make per minute; undefined: `DEFAULT_NEW_PINS_PER_MINUTE`. */
  readonly maxNewPinsPerMinute: number | undefined;
  /** A `postgres://` URL: pins in PostgreSQL, shared by every instance; undefined: `<dataDir>/pins.jsonl`. */
  readonly pins: string | undefined;
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

/** The pin store the options name: PostgreSQL for a `postgres://` URL, else the JSON-lines file in the data directory. */
function openPinStore(url: string | undefined, dataDir: string, warn: (message: string) => void): PinStore {
  return url === undefined ? FilePinStore.open(dataDir, warn) : PostgresPinStore.open({ url, warn });
}

/** `cat-file` helpers at once by default: each is a git process (about 1 MB) and three descriptors. */
const DEFAULT_MAX_OBJECT_READERS = 32;

/** Paths (files left out, pathspecs of the parts), over all kept zip layouts: about 100 bytes of memory each. */
const MAX_LAYOUT_FILES = 250_000;

export class ModuleService {
  readonly projects: ProjectIndex;
  readonly limiter: Limiter;
  /** Bounds the repositories' long-lived `cat-file` helpers (least recently used idle ones make room). */
  readonly objectReaders: HelperPool;
  readonly #options: ServiceOptions;
  readonly #repositories = new Map<string, GitRepository>();
  readonly #shadows: ShadowRepos;
  /** Served versions stay as served (pin-guard.ts). */
  readonly pins: PinGuard;
  /** Complete zips on disk and single-flight builds, when `zipCacheMiB` is set. */
  readonly zipCache: ZipCache | undefined;
  /** Where a zip goes at git's speed when its client falls behind, so that git's slot is freed. */
  readonly zipSpool: ZipSpool;
  /** What each commit's module zip holds, planned once: a repeat zip starts with no listing. */
  readonly #zipLayouts = new ImmutableCache<ZipLayout>({
    maxEntries: 1_000,
    maxWeight: MAX_LAYOUT_FILES,
    weigh: layoutWeight,
  });

  /** The last check for shadowed modules (`close()` waits for it). */
  #shadowReport: Promise<void> | undefined;
  #reportingShadows = false;
  /** `outer inner module` of each shadowed module logged. */
  readonly #shadowsReported = new Set<string>();

  constructor(options: ServiceOptions) {
    this.#options = options;
    this.projects = new ProjectIndex(options);
    this.limiter = new Limiter({ concurrency: options.maxGit ?? 2 * cpus().length });
    this.objectReaders = new HelperPool(options.maxObjectReaders ?? DEFAULT_MAX_OBJECT_READERS);
    const dataDir = dataDirectory(options);
    this.#shadows = new ShadowRepos(join(dataDir, 'shadow'));
    const warn = (message: string) => logger.warn(message);
    const newPins = new NewPinLimit(options.maxNewPinsPerMinute);
    this.pins = new PinGuard({
      store: openPinStore(options.pins, dataDir, warn),
      warn,
      newPins,
    });
    const cacheMiB = options.zipCacheMiB;
    this.zipCache = cacheMiB === undefined
      ? undefined
      : new ZipCache({ dir: join(dataDir, 'zips'), maxBytes: cacheMiB * 2 ** 20 });
    this.zipSpool = new ZipSpool({ dir: join(dataDir, 'spool'), maxBytes: options.zipSpoolMiB * 2 ** 20, warn });
  }

  /**
   * The module a request names, in the project that owns its path for this caller. In a project
   * scope the owner must be that project; in a group scope it must be below the group. Everything
   * else is "not found". A project the caller may not read does not exist for them: the owner is
   * the one it would be without it, which answers through a view without the hidden project's
   * directory (modules/hidden-directory.ts), so every answer is the one a caller gets where no such
   * project exists, and never the outer project's own files at the hidden project's path.
   */
  module(scope: Scope, modulePath: string, caller: Caller): ModuleTarget {
    const owner = this.#ownerFor(scope, modulePath, caller);
    const target = owner === undefined ? undefined : this.#target(owner.project, modulePath, owner.hidden);
    if (target === undefined) throw notFound(`module ${modulePath}: no such module on this server`);
    return target;
  }

  /**
   * The `list` answer. A path below a project that has no tags of its own is a module only if it
   * has a go.mod at the default branch; otherwise it is not found, so that the go command's probes
   * of package paths and prefixes move on fast (a 404 or 410 skips a path silently, any other error
   * fails the lookup: `cmd/go/internal/modload/query.go` `queryPrefixModules`).
   */
  async list(target: ModuleTarget): Promise<string[]> {
    const versions = await this.pins.list(target, await target.module.versions());
    if (versions.length === 0 && target.module.needsGoMod) await target.module.latest();
    return versions;
  }

  /**
   * Plans and starts the zip of a version, pinning it; throws a 4xx before any byte when the go
   * command would refuse it, or when `client` (token name, else address) makes new pins too fast.
   */
  zip(target: ModuleTarget, version: ModuleVersion, client: string, signal: AbortSignal): Promise<ModuleZipStream> {
    return this.pins.zip(
      target,
      version,
      client,
      (onFileDigest) => this.#openZip(target, version, signal, onFileDigest),
    );
  }

  /** Whether a version's zip is complete in the zip cache. */
  hasCachedZip(version: ModuleVersion): boolean {
    return this.zipCache?.has(zipCacheKey(version, this.#options.compression)) ?? false;
  }

  /** The zip of a version through the zip cache (built once for concurrent requests); the cache must be on. */
  cachedZip(target: ModuleTarget, version: ModuleVersion, client: string): Promise<CachedZip> {
    const key = zipCacheKey(version, this.#options.compression);
    return this.zipCache!.open(key, (signal) => this.zip(target, version, client, signal));
  }

  /** The `h1:` of a version's zip, made from git, streamed and dropped, not pinned: for operator commands. */
  zipHash(target: ModuleTarget, version: ModuleVersion): Promise<string> {
    const signal = new AbortController().signal;
    // The hash is over uncompressed bytes: skip deflating them.
    return zipHashOf((onFileDigest) => this.#openZip(target, version, signal, onFileDigest, 'store'));
  }

  #openZip(
    target: ModuleTarget,
    version: ModuleVersion,
    signal: AbortSignal,
    onFileDigest?: FileDigestSink,
    level = this.#options.compression,
  ): Promise<ModuleZipStream> {
    const { gitDir, objects } = target.gitRepository;
    return openModuleZip(version, {
      gitDir,
      objects,
      shadows: this.#shadows,
      limiter: this.limiter,
      level,
      signal,
      onFileDigest,
      layouts: this.#zipLayouts,
    });
  }

  /** Why the go command would refuse a version's zip, or undefined; from the kept layout, without starting git archive. */
  async zipRefusal(target: ModuleTarget, version: ModuleVersion): Promise<string | undefined> {
    return (await zipLayout(version, this.#layoutOptions(target))).refusal;
  }

  /** What a version's zip holds and what it leaves out, planned afresh (for the version page). */
  zipContents(target: ModuleTarget, version: ModuleVersion): Promise<ZipContents> {
    return describeModuleZip(version, this.#layoutOptions(target));
  }

  #layoutOptions(target: ModuleTarget): LayoutOptions {
    const { gitDir, objects } = target.gitRepository;
    return { gitDir, objects, limiter: this.limiter, layouts: this.#zipLayouts, level: this.#options.compression };
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

  /**
   * The module at `modulePath` inside `project`, or undefined when the project cannot hold it; seen
   * without the directory of `hidden`, a project nested in it that the caller may not read.
   */
  #target(project: Project, modulePath: string, hidden?: Project): ModuleTarget | undefined {
    const gitRepository = this.#repository(project);
    const host = hidden === undefined
      ? gitRepository.codeHost
      : hideDirectory(gitRepository.codeHost, hidden.modulePath.slice(project.modulePath.length + 1));
    const module = ModuleRepo.open(host, project.modulePath, modulePath);
    return module === undefined ? undefined : { project, gitRepository, module };
  }

  /** Why the service cannot take every request now (`/-/ready`), or undefined when it can. */
  notReady(): string | undefined {
    return this.pins.store.health?.available === false ? 'the pin store cannot be reached' : undefined;
  }

  /** Stops project discovery, every long-lived git process, and removes spool files. */
  async close(): Promise<void> {
    this.projects.close();
    this.zipSpool.close();
    await this.#shadowReport;
    const closing = [...this.#repositories.values()].map((repository) => repository.close());
    this.#repositories.clear();
    await Promise.all([...closing, this.pins.store.close()]);
  }

  /**
   * Logs one line for each module that a project's subdirectory holds (tags or a go.mod at its
   * default branch) but that a nested project's path takes over: it is served from the nested
   * project only. Checked after the first scan and again after every scan or reload (a reload may
   * add a nested project); each shadowed module is logged once per process. `close()` waits for
   * the check under way.
   */
  reportShadowedModules(): void {
    if (this.#reportingShadows) return;
    this.#reportingShadows = true;
    const check = () => {
      this.#shadowReport = (this.#shadowReport ?? Promise.resolve()).then(() => this.#reportNewlyShadowed());
    };
    this.projects.onUpdate(check);
    if (this.projects.isReady) check();
  }

  async #reportNewlyShadowed(): Promise<void> {
    try {
      await Promise.all(
        this.projects.nested().map(async ({ outer, inner }) => {
          const key = `${outer.fullPath}\n${inner.fullPath}\n${inner.modulePath}`;
          if (this.#shadowsReported.has(key)) return;
          const hidden = this.#target(outer, inner.modulePath)?.module;
          if (hidden === undefined || !(await holdsModule(hidden)) || this.#shadowsReported.has(key)) return;
          this.#shadowsReported.add(key);
          logger.warn(
            `project ${inner.fullPath} shadows the module ${inner.modulePath} in project ${outer.fullPath} (its directory ${
              inner.modulePath.slice(outer.modulePath.length + 1)
            }/): that module path is served from ${inner.fullPath} only`,
          );
        }),
      );
    } catch (error) {
      logger.error('checking for shadowed modules failed', { error });
    }
  }

  /**
   * The project that owns a module path for this caller, if the scope reaches it: the project with
   * the longest module path that is a prefix of it, among those the caller may read (each one
   * passed over is logged as a denial), and the outermost project passed over, whose directory the
   * owner is seen without.
   */
  #ownerFor(scope: Scope, modulePath: string, caller: Caller): { project: Project; hidden?: Project } | undefined {
    let hidden: Project | undefined;
    for (let path = modulePath;;) {
      const project = this.projects.forModule(path)?.project;
      if (project === undefined) return undefined;
      if (mayRead(caller, project)) return this.#inScope(scope, project) ? { project, hidden } : undefined;
      logAuthEvent({
        event: 'access denied',
        project: project.fullPath,
        token: caller.tokenName,
        client: caller.address,
      });
      hidden = project;
      const parent = project.modulePath.lastIndexOf('/');
      if (parent < 0) return undefined;
      path = project.modulePath.slice(0, parent);
    }
  }

  /** Whether a request in `scope` may be answered from `project`. */
  #inScope(scope: Scope, project: Project): boolean {
    switch (scope.kind) {
      case 'instance':
        return true;
      case 'project':
        return this.projects.byId(scope.id)?.fullPath === project.fullPath;
      case 'group': {
        const group = this.projects.groupPath(scope.id);
        return group !== undefined && project.fullPath.startsWith(`${group}/`);
      }
    }
  }

  /** The project that owns an import path for this caller, as the instance-wide endpoint finds it (go-get pages). */
  projectForImport(importPath: string, caller: Caller): Project | undefined {
    return this.#ownerFor({ kind: 'instance' }, importPath, caller)?.project;
  }

  #repository(project: Project): GitRepository {
    let repository = this.#repositories.get(project.gitDir);
    if (repository === undefined) {
      repository = new GitRepository(project.gitDir, this.limiter, this.objectReaders);
      this.#repositories.set(project.gitDir, repository);
    }
    return repository;
  }
}

/** Whether a module path names a module in its repository: it has tags, or a go.mod at the default branch. */
async function holdsModule(repo: ModuleRepo): Promise<boolean> {
  if ((await repo.versions()).length > 0) return true;
  return repo.latest().then(
    () => true,
    (error: unknown) => {
      if (error instanceof ProxyError) return false;
      throw error;
    },
  );
}
