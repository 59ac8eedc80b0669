/**
 * Discovery off the request path: scans of a project source run in the background (asynchronous, a
 * directory per event-loop turn), and each completed scan's repositories are handed over whole
 * (`apply`): the first at construction (`ready`), then every `rescanInterval` seconds, on `rescan()`
 * (SIGHUP), and shortly after a watched group directory changes (`keepCurrent`). A scan that fails
 * changes nothing: what the last one found goes on being served.
 */
import { type FSWatcher, watch } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { logger } from '../common/log.ts';
import { counterValue, gauge, type MetricsRegistry } from '../common/metrics.ts';
import type { Discovery, ProjectSource } from './project-source.ts';

/** What to scan for, and where the repositories go. */
export interface ScannerOptions {
  /** Seconds between two background rescans (`keepCurrent`). */
  readonly rescanInterval: number;
  /**
   * Takes the repositories of a completed scan (full path → git dir, in full-path order) and the
   * full paths several repositories claim; resolves with the number of projects served from them
   * once they are, and the scan counts as complete.
   */
  readonly apply: (
    repositories: ReadonlyMap<string, string>,
    contested: Discovery['contested'],
  ) => Promise<number>;
}

/** Quiet time after a watched directory changes before the rescan (a push creates many entries at once). */
const WATCH_DEBOUNCE_MS = 250;

/** Most directories watched at once; beyond it, the periodic rescan alone finds changes. */
const MAX_WATCHED_DIRECTORIES = 1_000;

/** Watches started per event-loop turn. */
const WATCH_BATCH = 500;

export class RepositoryScanner {
  readonly #source: ProjectSource;
  readonly #options: ScannerOptions;
  readonly #stop = new AbortController();
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #scans = 0;
  #lastScanSeconds = 0;
  #ready = false;
  /** Resolves when the first scan has completed (or the scanner was closed before it did). */
  readonly ready: Promise<void>;
  #interval: ReturnType<typeof setInterval> | undefined;
  #watchers: Map<string, FSWatcher> | undefined;
  /** The directories the last scan found worth watching. */
  #directories: readonly string[] = [];
  #debounce: ReturnType<typeof setTimeout> | undefined;

  /** Starts the first scan. */
  constructor(source: ProjectSource, options: ScannerOptions) {
    this.#source = source;
    this.#options = options;
    this.ready = this.rescan().then(() => {
      this.#ready = true;
    });
  }

  /** Whether the first scan has completed. */
  get isReady(): boolean {
    return this.#ready;
  }

  /** Scans completed since start. */
  get scans(): number {
    return this.#scans;
  }

  /** Aborted once closed: work for a scan stops there. */
  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  /** Registers its series: scans completed and how long the last one took. */
  registerMetrics(registry: MetricsRegistry): void {
    registry.register(() =>
      counterValue(
        'git_goproxy_project_scans_total',
        'Scans of repos completed (start-up, interval, watch, SIGHUP).',
        this.#scans,
      ) +
      gauge('git_goproxy_project_scan_seconds', 'Duration of the last completed scan of repos.', this.#lastScanSeconds)
    );
  }

  /**
   * Scans again in the background; resolves when a scan that started after this call has completed
   * and its repositories are applied. Calls during a scan share one more scan after it.
   */
  rescan(): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    if (this.#running === undefined) {
      this.#running = this.#scan().finally(() => {
        this.#running = undefined;
      });
      return this.#running;
    }
    this.#queued = this.#running.then(() => {
      this.#queued = undefined;
      return this.rescan();
    });
    return this.#queued;
  }

  /**
   * Keeps the repositories current while serving: a rescan every `rescanInterval` seconds and, when
   * `watch` is set, shortly after a watched directory gains or loses an entry (`fs.watch`; where the
   * platform cannot watch, the interval alone).
   */
  keepCurrent({ watch = true }: { watch?: boolean } = {}): void {
    if (this.#interval !== undefined || this.#stop.signal.aborted) return;
    this.#interval = setInterval(() => void this.rescan(), this.#options.rescanInterval * 1000);
    this.#interval.unref();
    if (!watch) return;
    this.#watchers = new Map();
    if (this.#ready) void this.#watch(this.#directories);
  }

  /** Stops scanning, the interval and every watch. */
  close(): void {
    this.#stop.abort();
    clearInterval(this.#interval);
    clearTimeout(this.#debounce);
    for (const watcher of this.#watchers?.values() ?? []) watcher.close();
    this.#watchers?.clear();
  }

  async #scan(): Promise<void> {
    const started = performance.now();
    try {
      const discovery = await this.#source.scan(this.#stop.signal);
      const projects = await this.#options.apply(
        new Map([...discovery.repositories].sort(([a], [b]) => (a < b ? -1 : 1))),
        discovery.contested,
      );
      this.#scans++;
      this.#lastScanSeconds = (performance.now() - started) / 1000;
      logger.debug('repositories scanned', {
        layout: this.#source.layout,
        projects,
        ms: Math.round(this.#lastScanSeconds * 1000),
      });
      this.#directories = discovery.directories;
      await this.#watch(discovery.directories);
    } catch (error) {
      if (this.#stop.signal.aborted) return;
      logger.error('repository scan failed: serving the projects found before', { error });
    }
  }

  /** Watches the scan's directories (up to the bound) and stops watching those it no longer found. */
  async #watch(directories: readonly string[]): Promise<void> {
    const watchers = this.#watchers;
    if (watchers === undefined) return;
    const wanted = new Set(directories.slice(0, MAX_WATCHED_DIRECTORIES));
    for (const [dir, watcher] of watchers) {
      if (wanted.has(dir)) continue;
      watcher.close();
      watchers.delete(dir);
    }
    let count = 0;
    for (const dir of wanted) {
      if (watchers.has(dir) || this.#stop.signal.aborted) continue;
      if (++count % WATCH_BATCH === 0) await nextTurn();
      const watcher = watchDirectory(dir, () => this.#changed());
      if (watcher !== undefined) watchers.set(dir, watcher);
    }
  }

  /** A watched directory changed: rescan once things are quiet. */
  #changed(): void {
    if (this.#debounce !== undefined || this.#stop.signal.aborted) return;
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      void this.rescan();
    }, WATCH_DEBOUNCE_MS);
    this.#debounce.unref();
  }
}

/** A watch of one directory's entries (names starting with `.` ignored), or undefined where it cannot be watched. */
function watchDirectory(dir: string, onChange: () => void): FSWatcher | undefined {
  try {
    const watcher = watch(dir, { persistent: false }, (_event, name) => {
      if (name === null || !String(name).startsWith('.')) onChange();
    });
    // A watched directory that is removed ends its watch; the rescan that follows notices the removal.
    watcher.on('error', () => watcher.close());
    return watcher;
  } catch {
    return undefined;
  }
}
