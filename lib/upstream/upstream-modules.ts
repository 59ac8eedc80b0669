/**
 * Modules that no local project owns, answered from upstream proxies (config `upstream`): the
 * GOPROXY protocol's `list`, `.info`, `.mod`, `.zip` and `@latest`, cached on disk and pinned.
 * The module service (access/module-service.ts) serves them to requests as `UpstreamModule`s
 * (access/upstream-module.ts).
 *
 * - **Private paths never leave** (private-paths.ts): every method refuses a private module path
 *   before any request is made; `forwards()` is the check the caller makes first, and it logs and
 *   counts each refusal.
 * - **Immutable files are fetched once.** `.info`, `.mod` and `.zip` of a canonical version go into
 *   the on-disk cache (`<data>/upstream`, the zip cache's machinery: zip/cache.ts) and are served
 *   from there with no upstream request; concurrent first requests share one upstream request; the
 *   cache is bounded (`upstreamCacheMiB`), least recently used out first.
 * - **A zip streams while it is cached.** Its first download is written to a part file as it comes
 *   from the upstream and read from there by every client that asks meanwhile, its `h1:` folded as
 *   it passes (zip/zip-hasher.ts). Its end record is held back until the whole zip is hashed and
 *   pinned: an upstream that cuts it, answers a malformed zip or other content than was pinned fails
 *   every reader, and nothing is kept.
 * - **Moving answers** (`list`, `@latest`, queries) are asked at most once per `upstreamListSeconds`
 *   and served stale, with a warning, while every upstream fails (fresh-answers.ts).
 */
import { join } from 'node:path';
import { notFound } from '../common/errors.ts';
import { logger } from '../common/log.ts';
import { counterHeader, counterValue, gauge, type MetricsRegistry } from '../common/metrics.ts';
import { escapePath, escapeVersion } from '../modules/escape.ts';
import * as semver from '../modules/semver.ts';
import type { Pin, PinStore } from '../pins/store.ts';
import { type CachedZip, ZipCache } from '../zip/cache.ts';
import { hashGoMod } from '../zip/hash.ts';
import { withEndHeldBack } from '../zip/held-end.ts';
import type { ModuleZipStream } from '../zip/source.ts';
import { ZipHasher } from '../zip/zip-hasher.ts';
import { type UpstreamBody, UpstreamClient, upstreamFailed, type UpstreamRequestCounts } from './client.ts';
import { cachedBytes } from './cached-bytes.ts';
import { type CachedEntry, CachedModules, type CachedModulesPage } from './cached-modules.ts';
import { type FreshAnswer, FreshAnswers } from './fresh-answers.ts';
import { type LocalModulePaths, PrivatePaths, type PrivateReason } from './private-paths.ts';
import { SumdbProxy } from './sumdb-proxy.ts';
import { UpstreamPins } from './upstream-pins.ts';

export interface UpstreamOptions {
  /** GOPROXY base URLs, tried in order (the next only after a 404 or 410). */
  readonly upstream: readonly string[];
  /** GOPRIVATE-style globs of module paths that are never asked upstream, besides the local ones. */
  readonly private: string;
  /** Checksum databases proxied at `/sumdb/<name>/`: name → URL. */
  readonly sumdbs: Readonly<Record<string, string>>;
  /** Seconds a `list`, `@latest` or query answer is used before the upstream is asked again. */
  readonly upstreamListSeconds: number;
  /** Bound of the on-disk cache in MiB. */
  readonly upstreamCacheMiB: number;
}

/** What the upstream parts need from the rest of the server. */
export interface UpstreamContext {
  /** The local projects: their module paths are private. */
  readonly projects: LocalModulePaths;
  /** The pin record (upstream versions are pinned under the project `UPSTREAM`). */
  readonly pins: PinStore;
  /** The proxy's data directory: the cache is `<dataDir>/upstream`. */
  readonly dataDir: string;
}

/** A `list` answer, read as the go command reads it. */
export interface UpstreamList {
  /** The first field of each line that is a valid version, in the upstream's order. */
  readonly versions: readonly string[];
  /** An earlier answer, given because every upstream failed. */
  readonly stale: boolean;
}

/** An `.info` or `@latest` answer: its bytes, and what they say. */
export interface UpstreamInfo extends FreshAnswer {
  readonly version: string;
  /** Its `Time`; the zero time (1970) when it has none. */
  readonly time: Date;
}

/** A canonical version, as `.mod` and `.zip` are asked for: its `.info` and its go.mod. */
export interface UpstreamVersion extends UpstreamInfo {
  readonly goMod: Buffer;
}

/** Counters for `/metrics`. */
export interface UpstreamStats {
  /** Module paths (and checksum lookups) not forwarded because they are private, by reason. */
  readonly refusals: Readonly<Record<PrivateReason, number>>;
  /** Immutable files served from the cache, and fetched from an upstream (first downloads). */
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly cacheBytes: number;
  readonly cacheMaxBytes: number;
  /** Moving answers served stale because every upstream failed. */
  readonly staleAnswers: number;
  /** Upstream answers refused because they differ from the pin. */
  readonly pinRefusals: number;
  /** Requests made to the upstream proxies, by outcome. */
  readonly requests: Readonly<UpstreamRequestCounts>;
}

/** Largest `.info` and `list` taken from an upstream. */
const MAX_TEXT_BYTES = 4 << 20;
/** Largest `.mod`: the go command's own bound on a go.mod (`modfetch.MaxGoMod`). */
const MAX_GO_MOD_BYTES = 16 << 20;
/** Largest zip: the go command's bound on a module zip (`modzip.MaxZipFile`). */
const MAX_ZIP_BYTES = 500 << 20;
/** Changes when what the cache keeps for a key changes. */
const CACHE_FORMAT = 'upstream 1';
/** Most files of module versions the index of the cache knows by module (for the pages): about 300 bytes each. */
const MAX_INDEXED_FILES = 50_000;

export class UpstreamModules {
  readonly #client: UpstreamClient;
  readonly #private: PrivatePaths;
  readonly #cache: ZipCache;
  /** What the cache holds, by module. */
  readonly #index: CachedModules;
  readonly #fresh: FreshAnswers;
  readonly #pins: UpstreamPins;
  readonly #refusals: Record<PrivateReason, number> = { 'module-host': 0, 'local-project': 0, 'private-pattern': 0 };
  #cacheHits = 0;
  #cacheMisses = 0;
  /** The checksum databases proxied at `/sumdb/<name>/`, through the same cache. */
  readonly sumdb: SumdbProxy;

  constructor(options: UpstreamOptions, context: UpstreamContext) {
    this.#client = new UpstreamClient({ bases: options.upstream });
    this.#private = new PrivatePaths(context.projects, options.private);
    const dir = join(context.dataDir, 'upstream');
    this.#cache = new ZipCache({
      dir,
      maxBytes: options.upstreamCacheMiB * 2 ** 20,
      suffix: '',
      // Before the index is made (files let go at start), its journal is read against the cache.
      onRemoved: (key) => this.#index?.removed(key),
    });
    this.#index = new CachedModules({
      journal: join(dir, 'modules.jsonl'),
      maxFiles: MAX_INDEXED_FILES,
      keyOf: ({ file, module, version }) => cacheKey([file, module, version]),
      holds: (key) => this.#cache.has(key),
    });
    const warn = (message: string) => logger.warn(message);
    this.#fresh = new FreshAnswers({
      periodSeconds: options.upstreamListSeconds,
      onStale: (key, error) =>
        logger.warn('every upstream failed: serving the last answer', { answer: key, error: (error as Error).message }),
    });
    this.#pins = new UpstreamPins(context.pins, warn);
    this.sumdb = new SumdbProxy(options.sumdbs, {
      cache: this.#cache,
      isPrivate: (modulePath) => !this.forwards(modulePath, 'checksum lookup'),
      cacheKey: (parts) => cacheKey(['sumdb', ...parts]),
    });
  }

  /** The upstream base URLs, without credentials (for the home page and log lines). */
  get bases(): string[] {
    return this.#client.bases;
  }

  /** Whether `modulePath` may be asked upstream; a refusal is logged and counted. `what`: the request, for the log line. */
  forwards(modulePath: string, what: string): boolean {
    const reason = this.#private.reason(modulePath);
    if (reason === undefined) return true;
    this.#refusals[reason]++;
    logger.info('not forwarded upstream: private module path', { module: modulePath, request: what, reason });
    return false;
  }

  /**
   * Registers its series: requests to the upstream proxies by result, refusals to forward by
   * reason, the cache's hits, misses and bytes, stale answers and pin refusals.
   */
  registerMetrics(registry: MetricsRegistry): void {
    registry.register(() => renderUpstream(this.stats));
  }

  get stats(): UpstreamStats {
    return {
      refusals: { ...this.#refusals },
      cacheHits: this.#cacheHits,
      cacheMisses: this.#cacheMisses,
      cacheBytes: this.#cache.bytes,
      cacheMaxBytes: this.#cache.maxBytes,
      staleAnswers: this.#fresh.staleAnswers,
      pinRefusals: this.#pins.refused,
      requests: { ...this.#client.counts },
    };
  }

  /** The `list` answer. */
  async list(modulePath: string): Promise<UpstreamList> {
    const path = `${this.#escaped(modulePath)}/@v/list`;
    const answer = await this.#fresh.get(path, () => this.#client.getBytes(path, MAX_TEXT_BYTES));
    return { versions: versionsOf(answer.body), stale: answer.stale };
  }

  /** The `@latest` answer. */
  async latest(modulePath: string): Promise<UpstreamInfo> {
    const path = `${this.#escaped(modulePath)}/@latest`;
    return infoOf(await this.#fresh.get(path, () => this.#client.getBytes(path, MAX_TEXT_BYTES)), path);
  }

  /** The `.info` answer of a canonical version (cached on disk) or of a query (a moving answer). */
  async info(modulePath: string, version: string): Promise<UpstreamInfo> {
    const path = `${this.#escaped(modulePath)}/@v/${escapedVersion(version)}.info`;
    if (!semver.isCanonical(version)) {
      return infoOf(await this.#fresh.get(path, () => this.#client.getBytes(path, MAX_TEXT_BYTES)), path);
    }
    const body = await this.#smallFile({ file: 'info', module: modulePath, version }, async (signal) => {
      const bytes = await this.#client.getBytes(path, MAX_TEXT_BYTES, signal);
      infoOf({ body: bytes, stale: false }, path); // refuses an answer that is no `.info`
      return bytes;
    });
    return infoOf({ body, stale: false }, path);
  }

  /** A canonical version, as `.mod` and `.zip` are asked for: its `.info`, then its `.mod` (pinned). */
  async exact(modulePath: string, version: string): Promise<UpstreamVersion> {
    canonicalVersion(modulePath, version);
    const info = await this.info(modulePath, version);
    return { ...info, version, goMod: await this.mod(modulePath, version) };
  }

  /** The `.mod` of a canonical version, pinned. */
  mod(modulePath: string, version: string): Promise<Buffer> {
    const path = `${this.#escaped(modulePath)}/@v/${canonicalVersion(modulePath, version)}.mod`;
    return this.#smallFile({ file: 'mod', module: modulePath, version }, async (signal) => {
      const bytes = await this.#client.getBytes(path, MAX_GO_MOD_BYTES, signal);
      await this.#pins.recordMod(modulePath, version, hashGoMod(bytes), () => this.#infoTime(modulePath, version));
      return bytes;
    });
  }

  /** The modules `[start, start + count)`, in path order, of those the cache holds files of. */
  cached(start: number, count: number): CachedModulesPage {
    return this.#index.page(start, count);
  }

  /** What has been served under an upstream version, if anything. */
  pin(modulePath: string, version: string): Promise<Pin | undefined> {
    return this.#pins.get(modulePath, version);
  }

  /**
   * The zip of a canonical version: from the cache, else from the download under way, else from a
   * new download that streams into the cache. Rejects before any byte when no upstream has it.
   */
  zip(modulePath: string, version: string): Promise<CachedZip> {
    const path = `${this.#escaped(modulePath)}/@v/${canonicalVersion(modulePath, version)}.zip`;
    return this.#open({ file: 'zip', module: modulePath, version }, async (signal) => {
      const answer = await this.#client.get(path, signal);
      if (answer.length !== undefined && answer.length > MAX_ZIP_BYTES) {
        answer.body.destroy();
        throw upstreamFailed(`${answer.url}: zip of ${answer.length} bytes is over the go command's 500 MiB`);
      }
      return this.#checkedZip(modulePath, version, answer);
    });
  }

  /** Stops the upstream connections; resolves once the cache's index is written. */
  close(): Promise<void> {
    this.#client.close();
    this.sumdb.close();
    return this.#index.flushed();
  }

  /** An upstream zip on its way into the cache: hashed as it passes, its end held back until pinned. */
  #checkedZip(modulePath: string, version: string, { url, body }: UpstreamBody): ModuleZipStream {
    const hasher = new ZipHasher();
    async function* bytes(): AsyncGenerator<Uint8Array> {
      let total = 0;
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          total += chunk.length;
          if (total > MAX_ZIP_BYTES) throw new Error("over the go command's 500 MiB");
          await hasher.push(chunk);
          yield chunk;
        }
      } catch (error) {
        hasher.cancel();
        throw upstreamFailed(`${url}: ${(error as Error).message}`);
      }
    }
    const chunks = withEndHeldBack(bytes(), async () => {
      const digest = await hasher.finish().catch((error: Error) => {
        throw upstreamFailed(`${url}: not a whole module zip: ${error.message}`);
      });
      await this.#pins.recordZip(
        modulePath,
        version,
        digest,
        () => this.mod(modulePath, version).then(() => undefined),
      );
    });
    return {
      chunks,
      cancel: () => {
        body.destroy();
        hasher.cancel();
      },
    };
  }

  /** The `.info` Time of a canonical version, for its pin. */
  async #infoTime(modulePath: string, version: string): Promise<string> {
    return (await this.info(modulePath, version)).time.toISOString();
  }

  /** A small immutable file of a module version through the cache, read whole. */
  #smallFile(entry: CachedEntry, fetch: (signal: AbortSignal) => Promise<Buffer>): Promise<Buffer> {
    const { key, onStored } = this.#through(entry);
    return cachedBytes(this.#cache, key, fetch, onStored);
  }

  #open(entry: CachedEntry, produce: (signal: AbortSignal) => Promise<ModuleZipStream>): Promise<CachedZip> {
    const { key, onStored } = this.#through(entry);
    return this.#cache.open(key, produce, onStored);
  }

  /**
   * The cache key of a module version's file, counted as a cache hit or a miss; indexed now when
   * the cache holds it, else once it is stored (`onStored`).
   */
  #through(entry: CachedEntry): { key: string; onStored: () => void } {
    const key = cacheKey([entry.file, entry.module, entry.version]);
    const onStored = () => this.#index.add(key, entry);
    if (this.#cache.has(key)) {
      this.#cacheHits++;
      onStored();
    } else {
      this.#cacheMisses++;
    }
    return { key, onStored };
  }

  /** The escaped module path for an upstream URL, after the private-path check. */
  #escaped(modulePath: string): string {
    const reason = this.#private.reason(modulePath);
    const escaped = reason === undefined ? escapePath(modulePath) : undefined;
    if (escaped === undefined) throw notFound(`module ${modulePath}: not asked upstream`);
    return escaped;
  }
}

/** The upstream proxies' series. */
function renderUpstream(stats: UpstreamStats): string {
  const requests = 'git_goproxy_upstream_requests_total';
  const refusals = 'git_goproxy_upstream_refusals_total';
  return [
    counterHeader(requests, 'Requests to the upstream proxies, by result: ok, not-found (404/410), failed.'),
    `${requests}{result="ok"} ${stats.requests.ok}\n`,
    `${requests}{result="not-found"} ${stats.requests.notFound}\n`,
    `${requests}{result="failed"} ${stats.requests.failed}\n`,
    counterHeader(refusals, 'Module paths and checksum lookups not sent upstream because they are private, by reason.'),
    ...Object.entries(stats.refusals).map(([reason, count]) => `${refusals}{reason="${reason}"} ${count}\n`),
    counterValue(
      'git_goproxy_upstream_cache_hits_total',
      'Immutable upstream files (.info, .mod, .zip) served from the upstream cache.',
      stats.cacheHits,
    ),
    counterValue(
      'git_goproxy_upstream_cache_misses_total',
      'Immutable upstream files fetched from an upstream (or joined a download under way).',
      stats.cacheMisses,
    ),
    gauge('git_goproxy_upstream_cache_bytes', 'Bytes of complete files in the upstream cache.', stats.cacheBytes),
    gauge(
      'git_goproxy_upstream_cache_max_bytes',
      'Bound of the upstream cache (upstreamCacheMiB).',
      stats.cacheMaxBytes,
    ),
    counterValue(
      'git_goproxy_upstream_stale_answers_total',
      'list, @latest and query answers served stale because every upstream failed.',
      stats.staleAnswers,
    ),
    counterValue(
      'git_goproxy_upstream_pin_refusals_total',
      'Upstream answers refused because they differ from what this proxy served before.',
      stats.pinRefusals,
    ),
  ].join('');
}

/** The cache key of an upstream file. */
function cacheKey(parts: readonly string[]): string {
  return ZipCache.key([CACHE_FORMAT, ...parts]);
}

function escapedVersion(version: string): string {
  const escaped = escapeVersion(version);
  if (escaped === undefined) throw notFound(`invalid version ${JSON.stringify(version)}`);
  return escaped;
}

/** `.mod` and `.zip` are asked for canonical versions only (the go command never asks others). */
function canonicalVersion(modulePath: string, version: string): string {
  if (!semver.isCanonical(version)) throw notFound(`${modulePath}@${version}: not a canonical version`);
  return escapedVersion(version);
}

/** The versions of a `list` answer, as the go command reads them: each line's first field that is a valid version. */
function versionsOf(body: Buffer): string[] {
  return body.toString('utf8').split('\n').map((line) => line.trim().split(/\s+/)[0]!).filter((field) =>
    semver.isValid(field)
  );
}

/** What an `.info` or `@latest` answer says; `upstream-failed` when it is not an `.info` at all. */
function infoOf(answer: FreshAnswer, what: string): UpstreamInfo {
  let info: unknown;
  try {
    info = JSON.parse(answer.body.toString('utf8'));
  } catch {
    throw upstreamFailed(`${what}: the .info answer is not JSON`);
  }
  const { Version: version, Time: time } = (typeof info === 'object' && info !== null ? info : {}) as {
    Version?: unknown;
    Time?: unknown;
  };
  if (typeof version !== 'string') throw upstreamFailed(`${what}: the .info answer has no Version`);
  const date = typeof time === 'string' ? new Date(time) : undefined;
  return { ...answer, version, time: date === undefined || Number.isNaN(date.getTime()) ? new Date(0) : date };
}
