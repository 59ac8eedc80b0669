/**
 * The proxy's model, free of HTTP, over the local projects' git repositories: the `ProxyService`
 * (service.ts) that `http/` talks to. Which project and module a request names (within its scope),
 * for this caller; the repositories behind them; the pins, the zips; and what the operator commands
 * need beside.
 *
 * A module path has one owner for every caller: the project with the longest module path that is a
 * prefix of it (at a `/`). A caller who may not read the owner gets the 404 of a module that does
 * not exist, never an answer from a readable parent project; pins belong to the owner too.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Caller, CallerRequest } from './auth.ts';
import { logAuthEvent, mayRead } from './auth.ts';
import { notFound, ProxyError } from '../common/errors.ts';
import { GitRepository } from '../modules/git-repository.ts';
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
import type { ProjectIndexOptions } from './projects.ts';
import { LocalModule, type LocalParts, type ModuleTarget } from './local-module.ts';
import { LocalZips } from './local-zips.ts';
import { CommitFactsCache } from '../facts/commit-facts.ts';
import type { ProjectFacts, ProxyService, Scope } from './service.ts';

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

export class ModuleService implements ProxyService {
  readonly projects: ProjectIndex;
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
  /** The start-up check for shadowed modules, once started (`close()` waits for it). */
  #shadowReport: Promise<void> | undefined;
  /** Stops observing git children for `/metrics`, once `registerMetrics` started it. */
  #stopGitMetrics: (() => void) | undefined;

  constructor(options: ServiceOptions) {
    this.projects = new ProjectIndex(options);
    this.limiter = new Limiter({ concurrency: options.maxGit ?? 2 * cpus().length });
    this.objectReaders = new HelperPool(options.maxObjectReaders ?? DEFAULT_MAX_OBJECT_READERS);
    const dataDir = dataDirectory(options);
    const warn = (message: string) => logger.warn(message);
    const newPins = new NewPinLimit(options.maxNewPinsPerMinute);
    this.pins = new PinGuard({
      store: openPinStore(options.pins, dataDir, warn),
      warn,
      limiter: this.limiter,
      newPins,
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
  }

  get isReady(): boolean {
    return this.projects.isReady;
  }

  get ready(): Promise<void> {
    return this.projects.ready;
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
   * The module a request names, in the project that owns its path. In a project scope the owner
   * must be that project; in a group scope it must be below the group. Everything else is "not
   * found", the same answer whether or not a project exists; an owner the caller may not read does
   * not exist for them (and the denial is logged).
   */
  module(scope: Scope, modulePath: string, caller: Caller): LocalModule {
    const project = this.#readableOwner(scope, modulePath, caller);
    const target = project === undefined ? undefined : this.#target(project, modulePath);
    if (target === undefined) throw notFound(`module ${modulePath}: no such module on this server`);
    return new LocalModule(target, this.#parts);
  }

  readableProjects(caller: Caller): readonly Project[] {
    return this.projects.all().filter((project) => mayRead(caller, project));
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

  notReady(): string | undefined {
    if (!this.projects.isReady) return 'first scan of the repositories under way';
    return this.pins.store.health?.available === false ? 'the pin store cannot be reached' : undefined;
  }

  /** Registers the series of its parts: git processes and slots, pins, projects, object readers, the zip spool. */
  registerMetrics(registry: MetricsRegistry): void {
    this.#stopGitMetrics = observeGitChildren(registry);
    this.limiter.registerMetrics(registry);
    this.pins.registerMetrics(registry);
    this.projects.registerMetrics(registry);
    this.objectReaders.registerMetrics(registry);
    this.zips.registerMetrics(registry);
  }

  /** Stops project discovery, every long-lived git process, observing them, and removes spool files. */
  async close(): Promise<void> {
    this.#stopGitMetrics?.();
    this.projects.close();
    this.zips.close();
    await this.#shadowReport;
    const closing = [...this.#repositories.values()].map((repository) => repository.close());
    this.#repositories.clear();
    await Promise.all([...closing, this.pins.store.close()]);
  }

  /**
   * Logs one line for each module that a project's subdirectory holds (tags or a go.mod at its
   * default branch) but that a nested project's path takes over: it is served from the nested
   * project only. Call once at start-up; `close()` waits for it.
   */
  reportShadowedModules(): Promise<void> {
    // After the first scan: before it, the index knows no projects.
    this.#shadowReport ??= this.projects.ready
      .then(() =>
        Promise.all(
          this.projects.nested().map(async ({ outer, inner }) => {
            const hidden = this.#target(outer, inner.modulePath)?.module;
            if (hidden === undefined || !(await holdsModule(hidden))) return;
            logger.warn(
              `project ${inner.fullPath} shadows the module ${inner.modulePath} in project ${outer.fullPath} (its directory ${
                inner.modulePath.slice(outer.modulePath.length + 1)
              }/): that module path is served from ${inner.fullPath} only`,
            );
          }),
        )
      )
      .then(
        () => undefined,
        (error: unknown) => logger.error('checking for shadowed modules failed', { error }),
      );
    return this.#shadowReport;
  }

  /** The project that owns a module path, if the scope reaches it (whoever asks). */
  #ownerIn(scope: Scope, modulePath: string): Project | undefined {
    const owner = this.projects.forModule(modulePath)?.project;
    if (owner === undefined) return undefined;
    switch (scope.kind) {
      case 'instance':
        return owner;
      case 'project':
        return this.projects.byId(scope.id)?.fullPath === owner.fullPath ? owner : undefined;
      case 'group': {
        const group = this.projects.groupPath(scope.id);
        return group !== undefined && owner.fullPath.startsWith(`${group}/`) ? owner : undefined;
      }
    }
  }

  /** The owner of a module path within a scope when the caller may read it; a denial is logged. */
  #readableOwner(scope: Scope, modulePath: string, caller: Caller): Project | undefined {
    const owner = this.#ownerIn(scope, modulePath);
    if (owner === undefined || mayRead(caller, owner)) return owner;
    logAuthEvent({ event: 'access denied', project: owner.fullPath, token: caller.tokenName, client: caller.address });
    return undefined;
  }

  projectForImport(importPath: string, caller: Caller): ProjectFacts | undefined {
    return this.#readableOwner({ kind: 'instance' }, importPath, caller);
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
