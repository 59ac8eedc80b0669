/**
 * Live reload for the command line. On SIGHUP the config is read again and `repos` rescanned; when
 * the config file changes it is read again. The flags, environment and file are read as at
 * start-up and handed to the handler's `reload()`. Directories are watched, not the file, so that
 * an atomic rename over it (how `token create`, `token revoke` and most editors write it) is seen
 * too: the file's own directory, and, when the path is a symbolic link (a Kubernetes ConfigMap or
 * Secret: `config.json -> ..data/config.json`, with `..data` swapped atomically for a new
 * directory), the directory of every link on the way and of the file it resolves to, again after
 * each change. Any event there has the file read again, and applied when its text changed; a burst
 * of events is read once, `DEBOUNCE_MS` after the last.
 *
 * A config that fails validation changes nothing: one error line names the key, as at start-up,
 * and the previous config keeps serving. Settings that only a restart applies (`listen`,
 * `workers`, `dataDir`, …) are logged as needing one, never silently dropped.
 */
import { type FSWatcher, readFileSync, readlinkSync, realpathSync, watch } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ProxyOptions, ReloadOutcome, ServerConfig } from './config.ts';
import { proxyOptionsOf, serverSettingsChanged } from './config.ts';
import type { Logger } from '../common/log.ts';

/** Quiet time after a config file event before the file is read (an editor's save is several events). */
const DEBOUNCE_MS = 100;

/** What set off a reload, as logged. */
export type ReloadTrigger = 'SIGHUP' | 'file changed';

/** What the reloader needs of the handler (lib/index.ts `GoProxyHandler`). */
export interface ReloadableHandler {
  reload(options: () => ProxyOptions): Promise<ReloadOutcome>;
  rescan(): Promise<void>;
  readonly projectCount: number;
}

export interface ConfigReloaderOptions {
  /** The config file; undefined when the server runs on flags and environment alone (then SIGHUP only rescans). */
  readonly file: string | undefined;
  /** Reads the flags, environment and file again, as at start-up; throws a `ConfigError`. */
  readonly read: () => ServerConfig;
  /** The config the server started with: its server-only settings stay in force until a restart. */
  readonly started: ServerConfig;
  readonly handler: ReloadableHandler;
  readonly logger: Logger;
}

export interface ConfigReloader {
  /** Stops watching and listening for SIGHUP. */
  close(): void;
}

/** Reloads on SIGHUP and on changes of `options.file` until `close()`. */
export function watchConfig(options: ConfigReloaderOptions): ConfigReloader {
  const { file, logger } = options;
  let lastText = file === undefined ? undefined : readText(file);
  let timer: NodeJS.Timeout | undefined;
  const onSignal = (): void => {
    if (file !== undefined) {
      lastText = readText(file);
      void reloadConfig(options, 'SIGHUP');
    }
    void rescan(options);
  };
  const onFileEvent = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      watcher?.follow();
      const text = readText(file!);
      if (text === lastText) return; // touched, or written again unchanged: nothing to apply
      lastText = text;
      void reloadConfig(options, 'file changed');
    }, DEBOUNCE_MS);
  };
  const watcher = file === undefined ? undefined : new ResolutionWatch(file, onFileEvent, logger);
  process.on('SIGHUP', onSignal);
  return {
    close: () => {
      clearTimeout(timer);
      watcher?.close();
      process.off('SIGHUP', onSignal);
    },
  };
}

/** One reload: applied (and what needs a restart) or refused, each logged in one line. */
async function reloadConfig(options: ConfigReloaderOptions, trigger: ReloadTrigger): Promise<void> {
  const { logger } = options;
  let config = options.started;
  try {
    const outcome = await options.handler.reload(() => proxyOptionsOf(config = options.read()));
    logger.info('config reloaded', { trigger, pid: process.pid });
    const restartNeeded = [...serverSettingsChanged(options.started, config), ...outcome.restartNeeded];
    if (restartNeeded.length > 0) logger.warn('config change needs a restart to apply', { settings: restartNeeded });
  } catch (error) {
    logger.error('config not applied: the previous config stays in force', {
      trigger,
      error: (error as Error).message,
    });
  }
}

/** SIGHUP: scan `repos` now (with `--workers`, the primary passes the signal to every worker). */
async function rescan({ handler, logger }: ConfigReloaderOptions): Promise<void> {
  const started = performance.now();
  await handler.rescan();
  logger.info('rescanned repositories', {
    signal: 'SIGHUP',
    pid: process.pid,
    projects: handler.projectCount,
    ms: Math.round(performance.now() - started),
  });
}

/**
 * Watches the directories a path resolves through: its own, and the directory of each symbolic
 * link's target on the way (up to `MAX_LINKS`) and of the file it ends at. `follow()` resolves the
 * path again and watches what it resolves through now. A directory that cannot be watched is logged
 * once (SIGHUP still works).
 */
class ResolutionWatch {
  readonly #file: string;
  readonly #onEvent: () => void;
  readonly #logger: Logger;
  readonly #watchers = new Map<string, FSWatcher>();
  #closed = false;

  constructor(file: string, onEvent: () => void, logger: Logger) {
    this.#file = resolve(file);
    this.#onEvent = onEvent;
    this.#logger = logger;
    this.follow();
  }

  follow(): void {
    if (this.#closed) return;
    const wanted = new Set(resolutionDirectories(this.#file));
    for (const [dir, watcher] of this.#watchers) {
      if (wanted.has(dir)) continue;
      watcher.close();
      this.#watchers.delete(dir);
    }
    for (const dir of wanted) {
      if (!this.#watchers.has(dir)) this.#watch(dir);
    }
  }

  close(): void {
    this.#closed = true;
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
  }

  #watch(dir: string): void {
    try {
      const watcher = watch(dir, { persistent: false }, () => this.#onEvent());
      watcher.on('error', (error) => {
        this.#logger.warn('config file watch failed: reload with SIGHUP', { error: error.message });
        watcher.close();
        this.#watchers.delete(dir);
      });
      this.#watchers.set(dir, watcher);
    } catch (error) {
      // The file's own directory must be watchable; a link's target that is gone is followed on the next change.
      if (dir === dirname(this.#file)) {
        this.#logger.warn('cannot watch the config file: reload with SIGHUP', { error: (error as Error).message });
      }
    }
  }
}

/** Most symbolic links followed from the config path (the kernel's own limit is 40). */
const MAX_LINKS = 40;

/** The directories `file` resolves through: its own, each link target's and the real file's. */
function resolutionDirectories(file: string): string[] {
  const dirs = [dirname(file)];
  let path = file;
  for (let links = 0; links < MAX_LINKS; links++) {
    let target: string;
    try {
      target = readlinkSync(path);
    } catch {
      break; // not a link (or not there): the chain ends
    }
    path = resolve(dirname(path), target);
    dirs.push(dirname(path));
  }
  try {
    dirs.push(dirname(realpathSync(file)));
  } catch {
    // Not there now: its directories above are watched for it to come back.
  }
  return [...new Set(dirs)];
}

/** The file's text, or undefined when it cannot be read (the reload then says why). */
function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
