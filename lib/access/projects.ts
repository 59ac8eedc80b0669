/**
 * Which projects exist, where their repositories are, and which module paths they serve.
 *
 * Every bare git repository below the `repos` directory is a project whose full path is its path
 * relative to that directory without a trailing `.git`; the config may add projects that live
 * elsewhere (`repo`), and give any project an id, a vanity module path and a visibility. The index is
 * rebuilt when a lookup misses (at most once per `RESCAN_INTERVAL_MS`), so a repository pushed after
 * start-up is found without a restart.
 */
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Visibility } from './auth.ts';
import { ConfigError } from '../common/errors.ts';
import { checkModulePath } from '../modules/module-path.ts';

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

/** What the index is built from. */
export interface ProjectIndexOptions {
  readonly repos: string;
  readonly moduleHost: string;
  readonly projects: readonly ProjectConfig[];
  readonly defaultVisibility: Visibility;
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

/** Minimum time between two rescans of the repos directory triggered by lookups that miss. */
const RESCAN_INTERVAL_MS = 2000;

/** How deep below `repos` to look for repositories (group/subgroup/…/name.git). */
const MAX_DEPTH = 8;

export class ProjectIndex {
  readonly #options: ProjectIndexOptions;
  #byModulePath = new Map<string, Project>();
  #byFullPath = new Map<string, Project>();
  #byId = new Map<number, Project>();
  #scannedAt = 0;

  constructor(options: ProjectIndexOptions) {
    this.#options = options;
    this.rescan();
  }

  get size(): number {
    return this.#byFullPath.size;
  }

  /** All projects, in full-path order. */
  all(): Project[] {
    return [...this.#byFullPath.values()].sort((a, b) => (a.fullPath < b.fullPath ? -1 : 1));
  }

  /** A project by numeric id or full path (as in `/api/v4/projects/:id`). */
  byId(id: string): Project | undefined {
    const find = () => (/^[0-9]+$/.test(id) ? this.#byId.get(Number(id)) : this.#byFullPath.get(id));
    return find() ?? (this.#rescanIfDue() ? find() : undefined);
  }

  /**
   * The project whose module path is the longest prefix of `modulePath` (at a `/` boundary), with
   * the rest of the path (`''`, `sub/dir`, `v2`, `sub/v3`). Projects that `accept` refuses are
   * passed over as if they did not exist (a caller who may not read them).
   */
  forModule(modulePath: string, accept: (project: Project) => boolean = () => true): { project: Project; rest: string } | undefined {
    const find = () => this.#longestPrefix(modulePath, accept);
    return find() ?? (this.#rescanIfDue() ? find() : undefined);
  }

  /** Re-reads the repos directory and the config's projects. */
  rescan(): void {
    const discovered = findBareRepositories(this.#options.repos);
    const configured = new Map(this.#options.projects.map((p) => [p.path, p]));
    const byModulePath = new Map<string, Project>();
    const byFullPath = new Map<string, Project>();
    const byId = new Map<number, Project>();
    const add = (fullPath: string, gitDir: string, config: ProjectConfig | undefined) => {
      const project = this.#makeProject(fullPath, gitDir, config);
      if (project === undefined) return;
      byFullPath.set(project.fullPath, project);
      byModulePath.set(project.modulePath, project);
      if (project.id !== undefined) byId.set(project.id, project);
    };
    for (const [fullPath, gitDir] of discovered) add(fullPath, gitDir, configured.get(fullPath));
    for (const config of this.#options.projects) {
      if (config.repo !== undefined) add(config.path, config.repo, config);
    }
    this.#byModulePath = byModulePath;
    this.#byFullPath = byFullPath;
    this.#byId = byId;
    this.#scannedAt = Date.now();
  }

  #makeProject(fullPath: string, gitDir: string, config: ProjectConfig | undefined): Project | undefined {
    const modulePath = config?.modulePath ?? `${this.#options.moduleHost}/${fullPath}`;
    const reason = checkModulePath(modulePath);
    if (reason !== undefined) {
      // A configured vanity path must be valid; a discovered directory name that cannot be a module path is skipped.
      if (config?.modulePath !== undefined) throw new ConfigError(`projects: ${fullPath}: modulePath`, reason);
      return undefined;
    }
    return {
      fullPath,
      id: config?.id,
      modulePath,
      visibility: config?.visibility ?? this.#options.defaultVisibility,
      gitDir,
    };
  }

  #longestPrefix(modulePath: string, accept: (project: Project) => boolean): { project: Project; rest: string } | undefined {
    for (let end = modulePath.length; end > 0; end = modulePath.lastIndexOf('/', end - 1)) {
      const project = this.#byModulePath.get(modulePath.slice(0, end));
      if (project !== undefined && accept(project)) return { project, rest: modulePath.slice(end + 1) };
    }
    return undefined;
  }

  #rescanIfDue(): boolean {
    if (Date.now() - this.#scannedAt < RESCAN_INTERVAL_MS) return false;
    this.rescan();
    return true;
  }
}

/** Finds bare repositories below `root`: full path (`group/name`) → absolute git dir. */
export function findBareRepositories(root: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // unreadable or vanished: not ours to serve
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (isBareRepository(path)) {
        const fullPath = relative(root, path).split(sep).join('/').replace(/\.git$/, '');
        if (!found.has(fullPath)) found.set(fullPath, path);
      } else if (depth < MAX_DEPTH) {
        walk(path, depth + 1);
      }
    }
  };
  walk(root, 0);
  return found;
}

function isBareRepository(dir: string): boolean {
  try {
    return statSync(join(dir, 'objects')).isDirectory() && statSync(join(dir, 'refs')).isDirectory() && existsSync(join(dir, 'HEAD'));
  } catch {
    return false;
  }
}
