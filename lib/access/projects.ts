/**
 * Which projects exist, where their repositories are, and which module paths they serve.
 *
 * The repositories below `repos` are found by a project source (discovery/: a directory tree, or
 * GitLab's hashed storage); the config may add projects that live elsewhere (`repo`), and give any
 * project an id, a vanity module path and a visibility.
 *
 * Lookups answer from the index as it is and never scan: scans run in the background
 * (discovery/scanner.ts) and the new index is swapped in when one completes, the first at
 * construction (`ready`).
 *
 * The index is also the access config in force: the tokens and the numeric group ids live in the
 * same snapshot as the projects. A config reload (`reconfigure`) builds a new snapshot from the last
 * scan's repositories, without reading the disk, and swaps it in with one assignment, so no request
 * sees new projects with old tokens or the reverse.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type TokenConfig, TokenStore, type Visibility } from './auth.ts';
import { type GroupConfig, type GroupIds, groupIdsOf, groupPathOf } from './groups.ts';
import { ConfigError } from '../common/errors.ts';
import { logger } from '../common/log.ts';
import { gauge, type MetricsRegistry } from '../common/metrics.ts';
import { checkModulePath } from '../modules/module-path.ts';
import { TrustedProxies } from './client-address.ts';
import type { ProjectSource } from '../discovery/project-source.ts';
import { DetectedLayout } from '../discovery/detected-layout.ts';
import { RepositoryScanner } from '../discovery/scanner.ts';

/** A project named in the config: gives a discovered repository an id, a vanity path or a visibility. */
export interface ProjectConfig {
  /** Full path of the project, e.g. `group/sub/name` (its path below `repos`, without `.git`). */
  path: string;
  /** Numeric id for `/api/v4/projects/:id/…`. */
  id?: number;
  /** Module path to serve it as, instead of `<moduleHost>/<path>` (e.g. `golang.org/x/sync`). */
  modulePath?: string;
  /** Who may read it; default: `defaultVisibility`. */
  visibility?: Visibility;
  /** Absolute path of the bare repository, for a project that is not below `repos`. */
  repo?: string;
}

/** What a config reload replaces, all at once: which paths name which project, and who may read it. */
export interface AccessSettings {
  readonly moduleHost: string;
  readonly projects: readonly ProjectConfig[];
  readonly defaultVisibility: Visibility;
  readonly tokens: readonly TokenConfig[];
  /** Numeric ids of groups (`/api/v4/groups/:id`). */
  readonly groups: readonly GroupConfig[];
  /** Addresses and CIDR ranges of the reverse proxies in front, whose `X-Forwarded-For` is believed (client-address.ts). */
  readonly trustedProxies: readonly string[];
}

/** What the index is built from. */
export interface ProjectIndexOptions extends AccessSettings {
  readonly repos: string;
  /** Seconds between two background rescans (`keepCurrent`). */
  readonly rescanInterval: number;
}

export interface Project {
  /** `group/sub/name` */
  readonly fullPath: string;
  readonly id: number | undefined;
  /** The module path of the repository root (`<moduleHost>/<fullPath>` or the configured vanity path). */
  readonly modulePath: string;
  readonly visibility: Visibility;
  /** Absolute path of the bare repository. */
  readonly gitDir: string;
}

/** Default of `rescanInterval`: the longest a new repository waits when no watch notices it. */
export const DEFAULT_RESCAN_INTERVAL_SECONDS = 30;

/** Largest `rescanInterval`: a day (timers cannot wait much longer than 24 days anyway). */
export const MAX_RESCAN_INTERVAL_SECONDS = 86_400;

/** Projects indexed (module paths validated) per event-loop turn while a scan's index is built. */
const BUILD_BATCH = 500;

/** The lookups of one scan under one config, replaced as a whole when a scan or a reload completes. */
interface Snapshot {
  readonly byModulePath: ReadonlyMap<string, Project>;
  readonly byFullPath: ReadonlyMap<string, Project>;
  readonly byId: ReadonlyMap<number, Project>;
  /** Every project in full-path order, sorted once per scan (pages list them on every request). */
  readonly sorted: readonly Project[];
  readonly tokens: TokenStore;
  readonly groupIds: GroupIds;
  /** What is not served because two repositories or projects claim it, one line each (`conflicts()`). */
  readonly conflicts: readonly string[];
}

export class ProjectIndex {
  readonly #scanner: RepositoryScanner;
  #snapshot: Snapshot;
  /** The config the next snapshot is built with: the last one given to `reconfigure`. */
  #settings: AccessSettings;
  /** The repositories the last scan found (full path → git dir), in full-path order. */
  #discovered: ReadonlyMap<string, string> = new Map();
  /** Full paths the last scan found claimed by several repositories, with their git dirs. */
  #contested: ReadonlyMap<string, readonly string[]> = new Map();
  /** The conflicts last logged: each new set is logged once. */
  #loggedConflicts = '';
  /** Called after each new snapshot is in force (`onUpdate`). */
  readonly #listeners: Array<() => void> = [];
  /** The build of a snapshot under way (`#install`), which later calls share. */
  #installing: Promise<void> | undefined;
  /** Resolves when the first scan has completed (or the index was closed before it did). */
  readonly ready: Promise<void>;

  /** Starts the first scan; throws a `ConfigError` when a configured vanity module path is invalid. */
  constructor(options: ProjectIndexOptions, source: ProjectSource = new DetectedLayout(options.repos)) {
    checkVanityPaths(options);
    this.#settings = options;
    this.#snapshot = {
      byModulePath: new Map(),
      byFullPath: new Map(),
      byId: new Map(),
      sorted: [],
      conflicts: [],
      ...accessOf(options),
    };
    this.#scanner = new RepositoryScanner(source, {
      rescanInterval: options.rescanInterval,
      apply: async (repositories, contested) => {
        this.#discovered = repositories;
        this.#contested = contested;
        await this.#install();
        return this.size;
      },
    });
    this.ready = this.#scanner.ready;
  }

  /** Whether the first scan has completed: before it, every lookup misses. */
  get isReady(): boolean {
    return this.#scanner.isReady;
  }

  get size(): number {
    return this.#snapshot.byFullPath.size;
  }

  /** Scans completed since start. */
  get scans(): number {
    return this.#scanner.scans;
  }

  /** Registers its series: projects indexed, and the scans' (scans completed, how long the last one took). */
  registerMetrics(registry: MetricsRegistry): void {
    registry.register(() =>
      gauge(
        'git_goproxy_projects',
        'Projects found by the last completed scan of repos (plus configured ones elsewhere).',
        this.size,
      )
    );
    this.#scanner.registerMetrics(registry);
  }

  /** The host part of module paths in force (the latest config's `moduleHost`). */
  get moduleHost(): string {
    return this.#settings.moduleHost;
  }

  /** All projects, in full-path order. */
  all(): readonly Project[] {
    return this.#snapshot.sorted;
  }

  /**
   * What is not served because it is claimed twice: a full path by two repositories, a module path
   * by two projects. Neither claimant is served (no one can say which is meant, and serving one
   * silently hides the other); each line says which, and every new set of them is logged as a warning.
   */
  conflicts(): readonly string[] {
    return this.#snapshot.conflicts;
  }

  /** The tokens in force: turns a request's credentials into a `Caller` (swapped with the projects). */
  get tokens(): TokenStore {
    return this.#snapshot.tokens;
  }

  /** The group path a group id names (as in `/api/v4/groups/:id`): a path as it is, a number by the config's `groups`; undefined when unknown. */
  groupPath(id: string): string | undefined {
    return groupPathOf(id, this.#snapshot.groupIds);
  }

  /** A project by numeric id or full path (as in `/api/v4/projects/:id`). */
  byId(id: string): Project | undefined {
    return /^[0-9]+$/.test(id) ? this.#snapshot.byId.get(Number(id)) : this.#snapshot.byFullPath.get(id);
  }

  /**
   * The project whose module path is the longest prefix of `modulePath` (at a `/` boundary): the
   * path's one owner, whoever asks (access/module-service.ts); with the rest of the path (`''`,
   * `sub/dir`, `v2`, `sub/v3`).
   */
  forModule(modulePath: string): { project: Project; rest: string } | undefined {
    const { byModulePath } = this.#snapshot;
    for (let end = modulePath.length; end > 0; end = modulePath.lastIndexOf('/', end - 1)) {
      const project = byModulePath.get(modulePath.slice(0, end));
      if (project !== undefined) return { project, rest: modulePath.slice(end + 1) };
    }
    return undefined;
  }

  /**
   * Each project whose module path lies inside another project's, with that outer project (every
   * one, for a path nested more than once): the outer project's modules at that path are not
   * served, as a module path belongs to the project with the longest matching module path.
   */
  nested(): Array<{ outer: Project; inner: Project }> {
    const { byModulePath } = this.#snapshot;
    const pairs: Array<{ outer: Project; inner: Project }> = [];
    for (const inner of byModulePath.values()) {
      const path = inner.modulePath;
      for (let end = path.lastIndexOf('/'); end > 0; end = path.lastIndexOf('/', end - 1)) {
        const outer = byModulePath.get(path.slice(0, end));
        if (outer !== undefined) pairs.push({ outer, inner });
      }
    }
    return pairs;
  }

  /**
   * Scans again in the background; resolves when a scan that started after this call has completed
   * and its index is in use. Calls during a scan share one more scan after it.
   */
  rescan(): Promise<void> {
    return this.#scanner.rescan();
  }

  /**
   * Keeps the index current while serving: a rescan every `rescanInterval` seconds and, when `watch`
   * is set, shortly after a watched directory gains or loses an entry (discovery/scanner.ts).
   */
  keepCurrent(options: { watch?: boolean } = {}): void {
    this.#scanner.keepCurrent(options);
  }

  /**
   * Takes a reloaded config: resolves once the last scan's repositories are indexed under it and
   * it is in force, with its tokens and group ids, from one synchronous swap (a later call or scan
   * that completes first makes this one's result part of its own). Throws a `ConfigError`, changing
   * nothing, when a vanity module path is invalid.
   */
  reconfigure(settings: AccessSettings): Promise<void> {
    checkVanityPaths(settings);
    this.#settings = settings;
    return this.#install();
  }

  /** Calls `listener` each time a scan or a reload has put a new snapshot in force. */
  onUpdate(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Stops scanning, the interval and every watch. */
  close(): void {
    this.#scanner.close();
  }

  /**
   * Builds the snapshot of the last scan's repositories under the latest settings and swaps it in.
   * Calls during a build share it; a build whose inputs changed while it ran (a scan completed, a
   * reload arrived) starts over, so what is swapped in is always built from the current inputs.
   */
  #install(): Promise<void> {
    this.#installing ??= this.#buildCurrent();
    return this.#installing;
  }

  async #buildCurrent(): Promise<void> {
    try {
      for (;;) {
        const discovered = this.#discovered;
        const settings = this.#settings;
        const snapshot = await this.#build(discovered, settings);
        this.#scanner.signal.throwIfAborted();
        if (discovered === this.#discovered && settings === this.#settings) {
          this.#snapshot = snapshot;
          this.#logConflicts(snapshot.conflicts);
          for (const listener of this.#listeners) listener();
          return;
        }
      }
    } finally {
      // In the same turn as the swap: a call after it starts a new build.
      this.#installing = undefined;
    }
  }

  /** The lookups for a scan's repositories plus the configured projects elsewhere, a batch per event-loop turn. */
  async #build(discovered: ReadonlyMap<string, string>, settings: AccessSettings): Promise<Snapshot> {
    const configured = new Map(settings.projects.map((p) => [p.path, p]));
    const claims = new Map<string, Project[]>();
    const add = (fullPath: string, gitDir: string, config: ProjectConfig | undefined) => {
      const project = makeProject(settings, fullPath, gitDir, config);
      if (project === undefined) return;
      const claimants = claims.get(project.modulePath);
      if (claimants === undefined) claims.set(project.modulePath, [project]);
      else claimants.push(project);
    };
    let count = 0;
    for (const [fullPath, gitDir] of discovered) {
      if (++count % BUILD_BATCH === 0) await nextTurn();
      add(fullPath, gitDir, configured.get(fullPath));
    }
    for (const config of settings.projects) {
      if (config.repo !== undefined) add(config.path, config.repo, config);
    }
    const conflicts = [...this.#contested].map(([fullPath, gitDirs]) =>
      `project ${fullPath} is claimed by ${gitDirs.length} repositories (${gitDirs.join(', ')}): none of them is served`
    );
    const byModulePath = new Map<string, Project>();
    const byFullPath = new Map<string, Project>();
    const byId = new Map<number, Project>();
    for (const [modulePath, [project, ...others]] of claims) {
      if (others.length > 0) {
        const names = [project!, ...others].map((p) => p.fullPath).join(', ');
        conflicts.push(`module path ${modulePath} is claimed by projects ${names}: none of them is served`);
        continue;
      }
      byFullPath.set(project!.fullPath, project!);
      byModulePath.set(modulePath, project!);
      if (project!.id !== undefined) byId.set(project!.id, project!);
    }
    // In order but for the few configured projects outside `repos`: a merge of two runs, not a full sort.
    const sorted = [...byFullPath.values()].sort((a, b) => (a.fullPath < b.fullPath ? -1 : 1));
    return { byModulePath, byFullPath, byId, sorted, conflicts, ...accessOf(settings) };
  }

  /** Logs each conflict of a new set of them, once. */
  #logConflicts(conflicts: readonly string[]): void {
    const key = conflicts.join('\n');
    if (key === this.#loggedConflicts) return;
    this.#loggedConflicts = key;
    for (const conflict of conflicts) logger.warn(conflict);
  }
}

/** Throws a `ConfigError` naming the first configured vanity module path that is invalid. */
export function checkVanityPaths(settings: AccessSettings): void {
  for (const config of settings.projects) {
    const reason = config.modulePath === undefined ? undefined : checkModulePath(config.modulePath);
    if (reason !== undefined) throw new ConfigError(`projects: ${config.path}: modulePath`, reason);
  }
}

/** The tokens and group ids of a config, as the snapshot holds them. */
function accessOf(settings: AccessSettings): Pick<Snapshot, 'tokens' | 'groupIds'> {
  const proxies = new TrustedProxies(settings.trustedProxies);
  return { tokens: new TokenStore(settings.tokens, Date.now, proxies), groupIds: groupIdsOf(settings.groups) };
}

/** A discovered directory name that cannot be a module path is skipped (configured ones were checked by `checkVanityPaths`). */
function makeProject(
  settings: AccessSettings,
  fullPath: string,
  gitDir: string,
  config: ProjectConfig | undefined,
): Project | undefined {
  const modulePath = config?.modulePath ?? `${settings.moduleHost}/${fullPath}`;
  if (config?.modulePath === undefined && checkModulePath(modulePath) !== undefined) return undefined;
  return {
    fullPath,
    id: config?.id,
    modulePath,
    visibility: config?.visibility ?? settings.defaultVisibility,
    gitDir,
  };
}
