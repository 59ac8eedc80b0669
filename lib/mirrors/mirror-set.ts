/**
 * The mirrors of the config: bare copies of remote repositories in `<dataDir>/mirrors/<path>.git`,
 * each served as the project `<path>` (access/ adds them to the project index like a project whose
 * repository is configured elsewhere) and kept fresh by fetches at start, every `fetchInterval`
 * seconds, on a push webhook (http/hooks.ts) and on `mirrors fetch`.
 *
 * `configure` takes a new config at any time (live reload): a mirror added is created and fetched,
 * one removed stops being fetched (its directory stays, and serves nothing once the index drops
 * it), one changed fetches from its new remote next time. At most `maxFetches` fetches run at once
 * over all mirrors.
 *
 * Pinned commits are kept: each commit a served version of a mirror was pinned to gets a ref of its
 * own (`refs/goproxy/pinned/<commit>`), which no fetch touches, so a rewrite upstream and a later
 * `git gc` cannot take a served version away. Those refs do not make a commit a branch or tag for
 * queries (git/refs.ts reads HEAD, branches and tags only); the pin guard serves a pinned version
 * from its commit wherever the commit is.
 */
import { join } from 'node:path';
import { Limiter } from '../git/limiter.ts';
import type { Logger } from '../common/log.ts';
import { credentialsFor, type RemoteCredentials, type SharedCredentials } from './credentials.ts';
import { keepCommit } from './fetch.ts';
import {
  type FetchTrigger,
  Mirror,
  type MirrorRemote,
  type MirrorStatus,
  NOT_FETCHED_RETRY_SECONDS,
} from './mirror.ts';
import { remoteKey } from './remote-url.ts';
import { type HookHeaders, type HookOutcome, readHook } from './webhook.ts';
import { badRequest, notFound, ProxyError } from '../common/errors.ts';
import { gauge, labelledValues, type MetricsRegistry } from '../common/metrics.ts';

/** A mirror as the config names it (the project keys beside these are access/'s). */
export interface RemoteConfig {
  readonly url: string;
  /** The project's full path, which is also where the mirror lives below `<dataDir>/mirrors`. */
  readonly path: string;
  readonly credentials?: RemoteCredentials;
  /** Seconds between two fetches of this mirror; default: the set's `fetchInterval`. */
  readonly fetchInterval?: number;
}

/** What a reload may change. */
export interface MirrorSettings {
  readonly mirrors: readonly RemoteConfig[];
  /** Credentials for every mirror whose URL starts with a prefix (a mirror's own win). */
  readonly credentials: readonly SharedCredentials[];
  readonly fetchInterval: number;
  readonly fetchTimeout: number;
  /** The secret push webhooks are signed with; undefined: `/-/hooks/push` is off. */
  readonly webhookSecret: string | undefined;
}

/** What is fixed for the life of the set. */
export interface MirrorSetOptions {
  /** `<dataDir>/mirrors`. */
  readonly dir: string;
  /** Fetches running at once over all mirrors. */
  readonly maxFetches: number;
  readonly logger: Logger;
}

/** Defaults of the settings. */
export const DEFAULT_FETCH_INTERVAL_SECONDS = 300;
export const DEFAULT_FETCH_TIMEOUT_SECONDS = 600;
export const DEFAULT_MAX_FETCHES = 4;

/** The bare repository of the mirror of project `path` in the mirrors directory `dir`. */
export function mirrorGitDir(dir: string, path: string): string {
  return join(dir, `${path}.git`);
}

export class MirrorSet {
  readonly #options: MirrorSetOptions;
  readonly #limiter: Limiter;
  readonly #stop = new AbortController();
  #mirrors = new Map<string, Mirror>();
  /** `remoteKey(url)` → the mirrors of that repository. */
  #byRemote = new Map<string, Mirror[]>();
  /** Each mirror's `load()`, once. */
  readonly #loads = new WeakMap<Mirror, Promise<void>>();
  /** Mirrors whose fetching has begun (`#begin`). */
  readonly #begun = new WeakSet<Mirror>();
  /** Mirrors removed from the config whose last fetch has not ended yet (`close` waits for them). */
  readonly #removed = new Set<Mirror>();
  #webhookSecret: string | undefined;
  #started = false;

  constructor(options: MirrorSetOptions) {
    this.#options = options;
    // Every mirror has at most one fetch waiting (fetches coalesce), so the queue is bounded by the config.
    this.#limiter = new Limiter({ concurrency: options.maxFetches, queueLimit: Number.MAX_SAFE_INTEGER });
  }

  /** Whether push webhooks are taken (a `webhookSecret` is set). */
  get takesWebhooks(): boolean {
    return this.#webhookSecret !== undefined;
  }

  /**
   * Puts `settings` in force: the mirror list is swapped at once, and the promise resolves when
   * every new mirror's repository exists (so that it can be served, empty until fetched). Once
   * `start` was called, new mirrors are fetched at once and on their interval.
   */
  async configure(settings: MirrorSettings): Promise<void> {
    const next = new Map<string, Mirror>();
    for (const config of settings.mirrors) {
      const remote = remoteOf(config, settings);
      const existing = this.#mirrors.get(config.path);
      if (existing === undefined) {
        const mirror = new Mirror(config.path, mirrorGitDir(this.#options.dir, config.path), remote, {
          limiter: this.#limiter,
          logger: this.#options.logger,
          stop: this.#stop.signal,
        });
        next.set(config.path, mirror);
      } else {
        existing.update(remote);
        next.set(config.path, existing);
      }
    }
    for (const [path, mirror] of this.#mirrors) {
      if (next.has(path)) continue;
      mirror.stopTimer();
      this.#removed.add(mirror);
      void mirror.idle().then(() => this.#removed.delete(mirror));
    }
    this.#mirrors = next;
    this.#byRemote = indexByRemote(next.values());
    this.#webhookSecret = settings.webhookSecret;
    await Promise.all([...next.values()].map((mirror) => this.#load(mirror)));
  }

  /** Starts fetching: every mirror once it is loaded, then on its interval, and mirrors added later as they come. */
  start(): void {
    this.#started = true;
    for (const mirror of this.#mirrors.values()) void this.#load(mirror).then(() => this.#begin(mirror));
  }

  #load(mirror: Mirror): Promise<void> {
    let load = this.#loads.get(mirror);
    if (load === undefined) {
      load = mirror.load().then(() => {
        if (this.#started) this.#begin(mirror);
      });
      this.#loads.set(mirror, load);
    }
    return load;
  }

  /** The first fetch and the interval of a loaded mirror that is still configured, once. */
  #begin(mirror: Mirror): void {
    if (this.#stop.signal.aborted || this.#begun.has(mirror) || this.#mirrors.get(mirror.path) !== mirror) return;
    this.#begun.add(mirror);
    mirror.startTimer();
    void mirror.fetch('start');
  }

  /** The configured mirror at `path`. */
  get(path: string): Mirror | undefined {
    return this.#mirrors.get(path);
  }

  /** Every mirror, in path order. */
  all(): Mirror[] {
    return [...this.#mirrors.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** The mirrors whose remote is one of `urls` (spelled as a host's webhook spells it). */
  matching(urls: readonly string[]): Mirror[] {
    const found = new Set<Mirror>();
    for (const url of urls) {
      const key = remoteKey(url);
      for (const mirror of key === undefined ? [] : this.#byRemote.get(key) ?? []) found.add(mirror);
    }
    return [...found];
  }

  /**
   * Takes a push webhook (`PushHooks`, access/service.ts): verified before its body is read, then the
   * mirrors of the repository it names are fetched (coalesced with fetches under way). Every refusal
   * is a `ProxyError` whose line says nothing about what exists here.
   */
  receive(headers: HookHeaders, body: Uint8Array): HookOutcome {
    if (this.#webhookSecret === undefined) throw notFound('no such endpoint');
    const hook = readHook(headers, body, this.#webhookSecret);
    if (hook === 'unverified') {
      throw new ProxyError('unauthorized', 'unauthorized: no valid webhook signature or token');
    }
    if (hook === 'malformed') throw badRequest('the webhook body is not a JSON object');
    const mirrors = this.matching(hook.urls);
    if (mirrors.length === 0) throw notFound('no mirror of this repository');
    if (hook.kind !== 'push') return { kind: hook.kind === 'ping' ? 'pong' : 'ignored' };
    for (const mirror of mirrors) void mirror.fetch('webhook');
    return { kind: 'fetching', mirrors: mirrors.length };
  }

  /** Fetches one mirror (or every one) now; resolves when done (failures are in the statuses). */
  async fetch(trigger: FetchTrigger, paths: readonly string[] = [...this.#mirrors.keys()]): Promise<void> {
    await Promise.all(paths.map((path) => this.#mirrors.get(path)?.fetch(trigger)));
  }

  /** `Retry-After` seconds for answers about the project at `path`: set while it is a mirror never fetched. */
  retryAfter(path: string): number | undefined {
    const mirror = this.#mirrors.get(path);
    return mirror === undefined || mirror.fetched ? undefined : NOT_FETCHED_RETRY_SECONDS;
  }

  /** Keeps a pinned commit's objects in the mirror at `path`, if `path` is a mirror; a failure is logged, never thrown. */
  async keepPinned(path: string, commit: string): Promise<void> {
    const mirror = this.#mirrors.get(path);
    if (mirror === undefined) return;
    await keepCommit(mirror.gitDir, commit).catch((error: unknown) =>
      this.#options.logger.warn('cannot keep a pinned commit in its mirror', {
        mirror: path,
        commit,
        error: (error as Error).message,
      })
    );
  }

  statuses(): MirrorStatus[] {
    return this.all().map((mirror) => mirror.status);
  }

  /** Registers each mirror's series, labelled by the mirror's project path (never its URL). */
  registerMetrics(registry: MetricsRegistry): void {
    registry.register(() => {
      const statuses = this.statuses();
      const rows = (value: (status: MirrorStatus) => number) =>
        statuses.map((status) => [{ mirror: status.path }, value(status)] as const);
      return [
        gauge('git_goproxy_mirrors', 'Mirrors of remote repositories in the config.', statuses.length),
        labelledValues(
          'git_goproxy_mirror_up',
          'gauge',
          "Whether the mirror's last fetch succeeded: 1 or 0 (0 also before its first).",
          rows(({ record }) => record.lastSuccess !== undefined && record.lastError === undefined ? 1 : 0),
        ),
        labelledValues(
          'git_goproxy_mirror_last_success_timestamp_seconds',
          'gauge',
          "When the mirror's last successful fetch ended (by any process), Unix time; 0 before the first.",
          rows(({ record }) => (record.lastSuccess ?? 0) / 1000),
        ),
        labelledValues(
          'git_goproxy_mirror_fetches_total',
          'counter',
          'Fetches of the mirror made by this process.',
          rows((status) => status.fetches),
        ),
        labelledValues(
          'git_goproxy_mirror_fetch_failures_total',
          'counter',
          'Fetches of the mirror by this process that failed (the last fetched state kept serving).',
          rows((status) => status.failures),
        ),
        labelledValues(
          'git_goproxy_mirror_fetch_seconds',
          'gauge',
          "Duration of this process's last fetch of the mirror.",
          rows((status) => status.lastFetchSeconds),
        ),
      ].join('');
    });
  }

  /** Stops the timers, kills the fetches under way and resolves once they have let go of their mirrors. */
  async close(): Promise<void> {
    this.#stop.abort();
    for (const mirror of this.#mirrors.values()) mirror.stopTimer();
    await Promise.all([...this.#mirrors.values(), ...this.#removed].map((mirror) => mirror.idle()));
  }
}

function remoteOf(config: RemoteConfig, settings: MirrorSettings): MirrorRemote {
  return {
    url: config.url,
    credentials: credentialsFor(config.url, config.credentials, settings.credentials),
    fetchInterval: config.fetchInterval ?? settings.fetchInterval,
    fetchTimeout: settings.fetchTimeout,
  };
}

function indexByRemote(mirrors: Iterable<Mirror>): Map<string, Mirror[]> {
  const index = new Map<string, Mirror[]>();
  for (const mirror of mirrors) {
    const key = remoteKey(mirror.remote.url);
    if (key !== undefined) index.set(key, [...(index.get(key) ?? []), mirror]);
  }
  return index;
}
