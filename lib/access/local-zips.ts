/**
 * The module zips of the local repositories, as one client gets them: planned under Go's rules
 * (each commit's layout planned once and kept), made by `git archive` in a shadow git dir, pinned
 * as they stream (pins/pin-guard.ts), and sent either from the zip cache (complete on disk, with
 * its length) or straight from git, through a spool file once the client falls behind git.
 */
import { join } from 'node:path';
import { ImmutableCache } from '../common/immutable-cache.ts';
import type { MetricsRegistry } from '../common/metrics.ts';
import { type CompressionLevel, ShadowRepos } from '../git/archive.ts';
import type { Limiter } from '../git/limiter.ts';
import type { GitRepository } from '../modules/git-repository.ts';
import type { ModuleVersion } from '../modules/module-repo.ts';
import type { FileDigestSink, PinGuard, PinnedTarget } from '../pins/pin-guard.ts';
import { ZipCache, zipCacheKey } from '../zip/cache.ts';
import { cachedZipBody, type ZipBody } from '../zip/zip-body.ts';
import { zipHashOf } from '../zip/hash.ts';
import {
  type LayoutOptions,
  layoutWeight,
  type ModuleZipStream,
  openModuleZip,
  type ZipLayout,
  zipLayout,
} from '../zip/source.ts';
import { ZipSpool } from '../zip/spool.ts';
import type { ZipRequest } from './service.ts';

/** The repository a zip is made from, and whose pins it is held to. */
export interface ZipTarget extends PinnedTarget {
  readonly gitRepository: GitRepository;
}

/** What the zips are made with. */
export interface LocalZipsOptions {
  /** The proxy's data directory: shadow git dirs, the zip cache and the spool go below it. */
  readonly dataDir: string;
  readonly compression: CompressionLevel;
  /** MiB of complete zips kept on disk; undefined: no zip cache. */
  readonly zipCacheMiB: number | undefined;
  /** Most MiB of zips spooled to disk at once for clients slower than git. */
  readonly zipSpoolMiB: number;
  readonly limiter: Limiter;
  readonly pins: PinGuard;
  readonly warn: (message: string) => void;
}

/** Paths (files left out, pathspecs of the parts), over all kept zip layouts: about 100 bytes of memory each. */
const MAX_LAYOUT_FILES = 250_000;

export class LocalZips {
  readonly #compression: CompressionLevel;
  readonly #limiter: Limiter;
  readonly #pins: PinGuard;
  readonly #shadows: ShadowRepos;
  /** Complete zips on disk and single-flight builds, when `zipCacheMiB` is set. */
  readonly #cache: ZipCache | undefined;
  /** Where a zip goes at git's speed when its client falls behind, so that git's slot is freed. */
  readonly #spool: ZipSpool;
  /** What each commit's module zip holds, planned once: a repeat zip starts with no listing. */
  readonly #layouts = new ImmutableCache<ZipLayout>({
    maxEntries: 1_000,
    maxWeight: MAX_LAYOUT_FILES,
    weigh: layoutWeight,
  });

  constructor(options: LocalZipsOptions) {
    this.#compression = options.compression;
    this.#limiter = options.limiter;
    this.#pins = options.pins;
    this.#shadows = new ShadowRepos(join(options.dataDir, 'shadow'));
    const cacheMiB = options.zipCacheMiB;
    this.#cache = cacheMiB === undefined
      ? undefined
      : new ZipCache({ dir: join(options.dataDir, 'zips'), maxBytes: cacheMiB * 2 ** 20 });
    this.#spool = new ZipSpool({
      dir: join(options.dataDir, 'spool'),
      maxBytes: options.zipSpoolMiB * 2 ** 20,
      warn: options.warn,
    });
  }

  /**
   * A version's zip for one request: through the zip cache when it is on (a HEAD only when the zip
   * is complete there: a HEAD for a zip not yet cached is planned, never built), else from git.
   */
  async open(target: ZipTarget, version: ModuleVersion, request: ZipRequest): Promise<ZipBody> {
    const cache = this.#cache;
    if (cache !== undefined) {
      const key = zipCacheKey(version, this.#compression);
      if (!request.head || cache.has(key)) {
        return cachedZipBody(await cache.open(key, (signal) => this.stream(target, version, request.client, signal)));
      }
    }
    return this.#streamedBody(await this.stream(target, version, request.client, request.signal));
  }

  /**
   * Plans and starts the zip of a version, pinning it; throws a 4xx before any byte when the go
   * command would refuse it, or when `client` (token name, else address) makes new pins too fast.
   */
  stream(target: ZipTarget, version: ModuleVersion, client: string, signal: AbortSignal): Promise<ModuleZipStream> {
    return this.#pins.zip(target, version, client, (onFileDigest) => this.#open(target, version, signal, onFileDigest));
  }

  /** The `h1:` of a version's zip, made from git, streamed and dropped, not pinned: for operator commands. */
  hash(target: ZipTarget, version: ModuleVersion): Promise<string> {
    const signal = new AbortController().signal;
    // The hash is over uncompressed bytes: skip deflating them.
    return zipHashOf((onFileDigest) => this.#open(target, version, signal, onFileDigest, 'store'));
  }

  /** Why the go command would refuse a version's zip, or undefined; from the kept layout, without starting git archive. */
  async refusal(target: ZipTarget, version: ModuleVersion): Promise<string | undefined> {
    return (await zipLayout(version, this.layoutSource(target))).refusal;
  }

  /** How a repository's zips are planned (the kept layouts, the git slots): for what else reads a zip's files, the pages' facts. */
  layoutSource(target: ZipTarget): LayoutOptions {
    const { gitDir, objects } = target.gitRepository;
    return { gitDir, objects, limiter: this.#limiter, layouts: this.#layouts, level: this.#compression };
  }

  /** Registers the spool's series. */
  registerMetrics(registry: MetricsRegistry): void {
    this.#spool.registerMetrics(registry);
  }

  /** Removes this process's spool files. */
  close(): void {
    this.#spool.close();
  }

  /**
   * A zip sent from git as it is made, through the spool once the client falls behind git. A zip
   * that is never sent (a HEAD) stops git when closed.
   */
  #streamedBody(stream: ModuleZipStream): ZipBody {
    let sent = false;
    return {
      size: undefined,
      verdict: async () => await stream.verdict?.(),
      send: (sink) => {
        sent = true;
        return this.#spool.relay(stream, sink);
      },
      close: () => {
        if (!sent) stream.cancel();
      },
    };
  }

  #open(
    target: ZipTarget,
    version: ModuleVersion,
    signal: AbortSignal,
    onFileDigest?: FileDigestSink,
    level = this.#compression,
  ): Promise<ModuleZipStream> {
    const { gitDir, objects } = target.gitRepository;
    return openModuleZip(version, {
      gitDir,
      objects,
      shadows: this.#shadows,
      limiter: this.#limiter,
      level,
      signal,
      onFileDigest,
      layouts: this.#layouts,
    });
  }
}
