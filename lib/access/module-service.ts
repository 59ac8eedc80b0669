/**
 * The proxy's model, free of HTTP: the `ProxyService` (service.ts) that `http/` talks to. Which
 * project and module a request names (within its scope), for this caller; the repositories behind
 * them; the pins, the zips; the modules no project owns, from the upstream proxies (config
 * `upstream`), and the checksum databases proxied; and what the operator commands need beside.
 *
 * A module path's owner is the project with the longest module path that is a prefix of it (at a
 * `/`), among the projects the caller may read: one they may not read does not exist for them, and
 * the owner it leaves answers them as if it held no module at its path. Pins belong to the owner.
 * A path no project answers is an upstream module on the instance endpoint, unless it is private
 * (upstream/private-paths.ts: the module host, a prefix of a project's path, config `private`).
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Caller, CallerRequest } from './auth.ts';
import { logAuthEvent, mayRead } from './auth.ts';
import { notFound, ProxyError } from '../common/errors.ts';
import { GitRepository } from '../modules/git-repository.ts';
import { hideDirectory } from '../modules/hidden-directory.ts';
import type { ModuleVersion } from '../modules/module-repo.ts';
import { ModuleRepo } from '../modules/module-repo.ts';
import type { Project } from './projects.ts';
import { ProjectIndex } from './projects.ts';
import { Limiter } from '../git/limiter.ts';
import { HelperPool } from '../git/helper-pool.ts';
import { observeGitChildren } from '../git/children.ts';
import type { MetricsRegistry } from '../common/metrics.ts';
import { PinGuard } from '../pins/pin-guard.ts';
import { FilePinStore } from '../pins/file-store.ts';
import { PostgresPinStore } from '../pins/postgres-store.ts';
import type { PinStore } from '../pins/store.ts';
import { NewPinLimit } from '../pins/new-pin-limit.ts';
import { logger } from '../common/log.ts';
import type { CompressionLevel } from '../git/archive.ts';
import type { AccessSettings, ProjectConfig, ProjectIndexOptions } from './projects.ts';
import { checkVanityPaths } from './projects.ts';
import { mirrorGitDir, MirrorSet, type MirrorSettings, type RemoteConfig } from '../mirrors/mirror-set.ts';
import { LocalModule, type LocalParts, type ModuleTarget } from './local-module.ts';
import { LocalZips } from './local-zips.ts';
import { CommitFactsCache } from '../facts/commit-facts.ts';
import type {
  CachedModulesPage,
  ChecksumDatabases,
  ProjectFacts,
  ProxyService,
  PushHooks,
  Scope,
  ServedModule,
} from './service.ts';
import { UpstreamModules, type UpstreamOptions } from '../upstream/upstream-modules.ts';
import { UpstreamModule } from './upstream-module.ts';

/**
 * A repository on another git host that the proxy mirrors (mirrors/) and serves as a project: the
 * remote, and the project keys of `projects` but `repo` (the mirror is the repository).
 */
export interface MirrorConfig extends RemoteConfig, Omit<ProjectConfig, 'repo' | 'path'> {}

/** What the service is built from (the resolved options, less what only HTTP and logging use). */
export interface ServiceOptions extends ProjectIndexOptions, Omit<MirrorSettings, 'mirrors'>, UpstreamOptions {
  readonly mirrors: readonly MirrorConfig[];
  /** Mirror fetches running at once. */
  readonly maxFetches: number;
  /** Who may read modules from the upstream: `anyone` (as a public project) or `authenticated` (any valid token). */
  readonly upstreamAccess: 'anyone' | 'authenticated';
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

/** The proxy's own state directory (shadow git dirs, pins): `dataDir`, else `<repos>/.git-goproxy`. */
export function dataDirectory(options: Pick<ServiceOptions, 'dataDir' | 'repos'>): string {
  return options.dataDir ?? join(options.repos, '.git-goproxy');
}

/** Where the mirrors live: `<dataDir>/mirrors`. */
export function mirrorsDirectory(options: Pick<ServiceOptions, 'dataDir' | 'repos'>): string {
  return join(dataDirectory(options), 'mirrors');
}

/**
 * The access settings of the options with each mirror as a configured project whose repository is
 * its mirror (as a project outside `repos` is): a reload swaps mirrors in and out together with the
 * projects, tokens and visibility that say who may read them, with no scan of `repos`.
 */
export function accessSettingsOf(options: ServiceOptions): AccessSettings {
  const dir = mirrorsDirectory(options);
  const mirrored = options.mirrors.map((
    { url: _url, credentials: _credentials, fetchInterval: _interval, ...project },
  ) => ({
    ...project,
    repo: mirrorGitDir(dir, project.path),
  }));
  return { ...options, projects: [...options.projects, ...mirrored] };
}

/** The pin store the options name: PostgreSQL for a `postgres://` URL, else the JSON-lines file in the data directory. */
function openPinStore(url: string | undefined, dataDir: string, warn: (message: string) => void): PinStore {
  return url === undefined ? FilePinStore.open(dataDir, warn) : PostgresPinStore.open({ url, warn });
}

/** `cat-file` helpers at once by default: each is a git process (about 1 MB) and three descriptors. */
const DEFAULT_MAX_OBJECT_READERS = 32;

export class ModuleService implements ProxyService {
  readonly projects: ProjectIndex;
  /** The mirrors of remote repositories, served as projects; fetching starts with `mirrors.start()`. */
  readonly mirrors: MirrorSet;
  /** Resolves once the mirrors' repositories exist (empty until fetched), so that they can be served. */
  readonly #mirrorsLoaded: Promise<void>;
  #mirrorsReady = false;
  readonly limiter: Limiter;
  /** Bounds the repositories' long-lived `cat-file` helpers (least recently used idle ones make room). */
  readonly objectReaders: HelperPool;
  readonly #repositories = new Map<string, GitRepository>();
  /** Served versions stay as served (pin-guard.ts). */
  readonly pins: PinGuard;
  /** The module zips: planned, pinned as they stream, cached or spooled. */
  readonly zips: LocalZips;
  /** What the web pages show of each commit (its zip's files, README, licenses), derived once (bounded). */
  readonly facts = new CommitFactsCache();
  /** What every local module is answered with. */
  readonly #parts: LocalParts;
  /** The upstream proxies and checksum databases, when the options name any. */
  readonly #upstream: UpstreamModules | undefined;
  /** Where modules no project owns are asked (config `upstream`), and whether anyone may read them (else callers with a token). */
  readonly #upstreamModules: { readonly modules: UpstreamModules; readonly anyone: boolean } | undefined;
  readonly checksumDatabases: ChecksumDatabases | undefined;
  /** The last check for shadowed modules (`close()` waits for it). */
  #shadowReport: Promise<void> | undefined;
  #reportingShadows = false;
  /** `outer inner module` of each shadowed module logged. */
  readonly #shadowsReported = new Set<string>();
  /** Stops observing git children for `/metrics`, once `registerMetrics` started it. */
  #stopGitMetrics: (() => void) | undefined;

  constructor(options: ServiceOptions) {
    this.mirrors = new MirrorSet({ dir: mirrorsDirectory(options), maxFetches: options.maxFetches, logger });
    this.#mirrorsLoaded = this.mirrors.configure(options).then(() => {
      this.#mirrorsReady = true;
    });
    this.projects = new ProjectIndex({ ...options, ...accessSettingsOf(options) });
    this.limiter = new Limiter({ concurrency: options.maxGit ?? 2 * cpus().length });
    this.objectReaders = new HelperPool(options.maxObjectReaders ?? DEFAULT_MAX_OBJECT_READERS);
    const dataDir = dataDirectory(options);
    const warn = (message: string) => logger.warn(message);
    const newPins = new NewPinLimit(options.maxNewPinsPerMinute);
    this.pins = new PinGuard({
      store: openPinStore(options.pins, dataDir, warn),
      warn,
      newPins,
      onNewPin: (pin) => this.mirrors.keepPinned(pin.project, pin.commit),
    });
    this.zips = new LocalZips({
      dataDir,
      compression: options.compression,
      zipCacheMiB: options.zipCacheMiB,
      zipSpoolMiB: options.zipSpoolMiB,
      limiter: this.limiter,
      pins: this.pins,
      warn,
    });
    this.#parts = { pins: this.pins, zips: this.zips, facts: this.facts };
    const sumdbs = Object.keys(options.sumdbs).length > 0;
    if (options.upstream.length > 0 || sumdbs) {
      this.#upstream = new UpstreamModules(options, { projects: this.projects, pins: this.pins.store, dataDir });
    }
    const anyone = options.upstreamAccess === 'anyone';
    this.#upstreamModules = this.#upstream !== undefined && options.upstream.length > 0
      ? { modules: this.#upstream, anyone }
      : undefined;
    this.checksumDatabases = sumdbs ? this.#upstream?.sumdb : undefined;
  }

  /** Ready once the first scan of `repos` is done and the mirrors' repositories exist. */
  get isReady(): boolean {
    return this.projects.isReady && this.#mirrorsReady;
  }

  get ready(): Promise<void> {
    return Promise.all([this.projects.ready, this.#mirrorsLoaded]).then(() => undefined);
  }

  get pushHooks(): PushHooks | undefined {
    return this.mirrors.takesWebhooks ? this.mirrors : undefined;
  }

  /**
   * Takes reloaded options: mirrors added, removed or changed (a new mirror's repository is created
   * first), then the projects, tokens and group ids, in force together when it resolves. Throws a
   * `ConfigError`, changing nothing, when a vanity module path is invalid.
   */
  async reconfigure(options: ServiceOptions): Promise<void> {
    const settings = accessSettingsOf(options);
    checkVanityPaths(settings);
    await this.mirrors.configure(options);
    await this.projects.reconfigure(settings);
  }

  get moduleHost(): string {
    return this.projects.moduleHost;
  }

  caller(request: CallerRequest): Caller {
    const { caller, failure } = this.projects.tokens.authenticate(request);
    if (failure !== undefined) {
      logAuthEvent({ event: 'auth failed', reason: failure.reason, token: failure.tokenName, client: caller.address });
    }
    return caller;
  }

  /**
   * The module a request names, in the project that owns its path for this caller. In a project
   * scope the owner must be that project; in a group scope it must be below the group. Everything
   * else is "not found". A project the caller may not read does not exist for them: the owner is
   * the one it would be without it, which answers through a view without the hidden project's
   * directory (modules/hidden-directory.ts), so every answer is the one a caller gets where no such
   * project exists, and never the outer project's own files at the hidden project's path. On the
   * instance endpoint, a path no project answers is an upstream module when it may be asked
   * upstream (a refusal is logged and counted).
   */
  module(scope: Scope, modulePath: string, caller: Caller): ServedModule {
    const owner = this.#ownerFor(scope, modulePath, caller);
    const target = owner === undefined ? undefined : this.#target(owner.project, modulePath, owner.hidden);
    if (target !== undefined) {
      return new LocalModule(target, this.#parts, this.mirrors.retryAfter(target.project.fullPath));
    }
    const upstream = scope.kind === 'instance' ? this.#upstreamModule(modulePath, caller) : undefined;
    if (upstream === undefined) throw notFound(`module ${modulePath}: no such module on this server`);
    return upstream;
  }

  /** The upstream module at a path no project answered, when it may be asked upstream; not found for a caller who may not read upstream modules. */
  #upstreamModule(modulePath: string, caller: Caller): UpstreamModule | undefined {
    const upstream = this.#upstreamModules;
    if (upstream === undefined || !upstream.modules.forwards(modulePath, 'module')) return undefined;
    if (!this.#mayReadUpstream(caller)) {
      throw notFound(`module ${modulePath}: modules from the upstream proxy are served to callers with a token only`);
    }
    return new UpstreamModule(modulePath, upstream.modules, upstream.anyone);
  }

  /** Whether a caller may read upstream modules: anyone may, or it has a valid token (`upstreamAccess`). */
  #mayReadUpstream(caller: Caller): boolean {
    return this.#upstreamModules?.anyone === true || caller.tokenName !== undefined;
  }

  readableProjects(caller: Caller): readonly Project[] {
    return this.projects.all().filter((project) => mayRead(caller, project));
  }

  cachedUpstreamModules(caller: Caller, start: number, count: number): CachedModulesPage | undefined {
    const upstream = this.#upstreamModules;
    return upstream !== undefined && this.#mayReadUpstream(caller) ? upstream.modules.cached(start, count) : undefined;
  }

  /** The `h1:` of a version's zip, made from git, streamed and dropped, not pinned: for operator commands. */
  zipHash(target: ModuleTarget, version: ModuleVersion): Promise<string> {
    return this.zips.hash(target, version);
  }

  /**
   * The module at a path, found in any project whatever its visibility, once the first scan of
   * `repos` is done: for operator commands, never for requests.
   */
  async operatorTarget(modulePath: string): Promise<ModuleTarget | undefined> {
    await this.ready;
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

  notReady(): string | undefined {
    if (!this.isReady) return 'first scan of the repositories under way';
    return this.pins.store.health?.available === false ? 'the pin store cannot be reached' : undefined;
  }

  /** Registers the series of its parts: git processes and slots, pins, projects, object readers, the zip spool, the upstream proxies. */
  registerMetrics(registry: MetricsRegistry): void {
    this.#upstreamModules?.modules.registerMetrics(registry);
    this.#stopGitMetrics = observeGitChildren(registry);
    this.limiter.registerMetrics(registry);
    this.pins.registerMetrics(registry);
    this.projects.registerMetrics(registry);
    this.objectReaders.registerMetrics(registry);
    this.zips.registerMetrics(registry);
    this.mirrors.registerMetrics(registry);
  }

  /** Stops project discovery, mirror fetches, every long-lived git process, observing them, the upstream connections, and removes spool files. */
  async close(): Promise<void> {
    this.#stopGitMetrics?.();
    const upstream = this.#upstream?.close();
    this.projects.close();
    await this.mirrors.close();
    this.zips.close();
    await this.#shadowReport;
    const closing = [...this.#repositories.values()].map((repository) => repository.close());
    this.#repositories.clear();
    await Promise.all([...closing, this.pins.store.close(), upstream]);
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

  projectForImport(importPath: string, caller: Caller): ProjectFacts | undefined {
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
