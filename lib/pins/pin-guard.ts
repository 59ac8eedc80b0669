/**
 * Versions are immutable: every answer about a pinned version comes from its pinned commit, and
 * every `.mod` and `.zip` served pins its version in the pin store (store.ts), under the project
 * that owns the module path.
 *
 * - A canonical version that is pinned resolves to the pinned commit while that commit is in the
 *   repository's own history (reached by its refs or in its own object store, never only through
 *   another repository's objects), even after its tag moved or was deleted; when it is not the version is
 *   `gone`, with a reason that names both commits. A tag that no longer matches its pin is logged once and
 *   counted (`tagMismatches`).
 * - `.mod` pins the version (commit, time, go.mod hash) before the body is sent. `.zip` folds the
 *   file digests that the zip stream reports into an `h1:` (`dirhash.Hash1`) as it streams, holds
 *   back the last chunk, and sends it only once the pin is on disk. A zip that fails part-way is
 *   never pinned. Once a process has found a version's zip equal to its pin, it streams that
 *   version's zip from the same commit again without hashing it.
 * - A recomputed hash that differs from the pin is refused (`content-changed`): the go command must never see
 *   two different contents under one version (`modfetch.checkModSum` would report a checksum
 *   mismatch, and a go.sum written from the first answer would break every build).
 * - A client that makes new pins too fast is refused with 429 (new-pin-limit.ts).
 */
import { gone, ProxyError } from '../common/errors.ts';
import { counterValue, gauge, type MetricsRegistry } from '../common/metrics.ts';
import { infoTime, type ModuleRepo, type ModuleVersion } from '../modules/module-repo.ts';
import type { ModuleZipStream } from '../zip/source.ts';
import { type Pin, PinConflictError, type PinStore, type PinStoreHealth } from './store.ts';
import type { NewPinLimit } from './new-pin-limit.ts';
import * as semver from '../modules/semver.ts';
import { withEndHeldBack } from '../zip/held-end.ts';
import { type HashedZipStream, hashGoMod, openHashedZip } from '../zip/hash.ts';

/** The module a request is about, the project that owns its path (whose pins apply), and where its repository is. */
export interface PinnedTarget {
  readonly project: { readonly fullPath: string };
  readonly module: ModuleRepo;
  /** Whether a commit is in the repository's own history (git-repository.ts), never through another's objects. */
  readonly gitRepository: { ownsCommit(commit: string): Promise<boolean> };
}

/** Receives each file's SHA-256 as a zip streams. */
export type FileDigestSink = (name: string, sha256Hex: string) => void;

export interface PinGuardOptions {
  readonly store: PinStore;
  /** Where warnings go (one line each). */
  readonly warn: (message: string) => void;
  /** How fast one client may make new pins. */
  readonly newPins: NewPinLimit;
  /**
   * Told of each version this process pins first, once the pin is durable and before the answer
   * completes (the mirrors keep a pinned commit's objects); never throws.
   */
  readonly onNewPin?: (pin: Pin) => Promise<void>;
}

export class PinGuard {
  readonly store: PinStore;
  readonly #warn: (message: string) => void;
  readonly #newPins: NewPinLimit;
  readonly #onNewPin: ((pin: Pin) => Promise<void>) | undefined;
  /** `project module version live-commit` of each tag found not matching its pin. */
  readonly #mismatches = new Set<string>();
  /**
   * `project module@version commit` of each zip this process has hashed and found equal to its pin. The
   * same commit, git binary and code make the same files, so repeats are not hashed again (inflating
   * every entry to hash it costs more than git's own deflate); a restart, e.g. after a git upgrade,
   * checks each version once more. One short string per version served.
   */
  readonly #zipVerified = new Set<string>();

  constructor(options: PinGuardOptions) {
    this.store = options.store;
    this.#warn = options.warn;
    this.#newPins = options.newPins;
    this.#onNewPin = options.onNewPin;
  }

  /** How many (version, tag state) pairs were found where the tag no longer matches the pin. */
  get tagMismatches(): number {
    return this.#mismatches.size;
  }

  /** Registers its series: tags found moved from their pins, new pins refused, and the pin store's health. */
  registerMetrics(registry: MetricsRegistry): void {
    registry.register(() =>
      counterValue(
        'git_goproxy_pin_tag_mismatches_total',
        "Requests that found a served version's tag moved or deleted.",
        this.tagMismatches,
      ) +
      counterValue(
        'git_goproxy_new_pins_refused_total',
        'New pins refused with 429 because their client pinned too many versions in a minute.',
        this.#newPins.refused,
      ) +
      pinStoreMetrics(this.store.health)
    );
  }

  /**
   * The `list` answer: the repository's versions (sorted) plus pinned tagged versions whose tags are
   * gone. Both lists come sorted, so this is one merge, however many versions are pinned.
   */
  async list(target: PinnedTarget, versions: readonly string[]): Promise<string[]> {
    const pinned = await this.store.versions(target.project.fullPath, target.module.modulePath);
    if (pinned.length === 0) return [...versions];
    const merged: string[] = [];
    let i = 0;
    for (const version of pinned) {
      while (i < versions.length && semver.compare(versions[i]!, version) < 0) merged.push(versions[i++]!);
      if (versions[i] !== version) merged.push(version);
    }
    return merged.concat(versions.slice(i));
  }

  /** `.info` of any query: as the repository resolves it, unless the version it names is pinned elsewhere. */
  async stat(target: PinnedTarget, query: string): Promise<ModuleVersion> {
    if (query === 'latest') return this.latest(target);
    if ((await this.#pinOf(target, query)) !== undefined) return this.exact(target, query);
    return this.#keepPinned(target, await target.module.stat(query));
  }

  /**
   * `@latest`: chosen from the list with pinned versions in it, as the go command chooses from a
   * proxy's list (`modload.queryProxy`: the highest release, else the highest pre-release).
   */
  async latest(target: PinnedTarget): Promise<ModuleVersion> {
    const live = await target.module.versions();
    const listed = await this.list(target, live);
    const best = listed.filter((v) => semver.prerelease(v) === '').at(-1) ?? listed.at(-1);
    if (best !== undefined && !live.includes(best)) return this.exact(target, best);
    return this.#keepPinned(target, await target.module.latest());
  }

  /** `.mod`/`.zip` version: the pinned commit when pinned, else as the repository resolves it exactly. */
  async exact(target: PinnedTarget, version: string): Promise<ModuleVersion> {
    const pin = await this.#pinOf(target, version);
    if (pin === undefined) return target.module.exact(version);
    const live = await target.module.exact(version).catch((error: unknown) => {
      if (error instanceof ProxyError && error.kind === 'not-found') return undefined;
      throw error;
    });
    return live?.commit === pin.commit ? live : this.#fromPin(target, pin, live?.commit);
  }

  /**
   * Pins a version whose `.mod` is about to be served; refuses a go.mod that differs from the pin,
   * and a new pin past `client`'s rate (429).
   */
  async recordGoMod(target: PinnedTarget, version: ModuleVersion, client: string): Promise<void> {
    const pin = pinOf(target, version);
    const isNew = (await this.#pinOf(target, version.version)) === undefined;
    if (isNew) this.#newPins.take(client);
    await this.#record(pin);
    if (isNew) await this.#onNewPin?.(pin);
  }

  /**
   * Opens a zip through `open` with a digest sink, and returns it with its last bytes (the end
   * record) held back until the zip's `h1:` is pinned (or found equal to the pin). A different
   * hash fails the stream, and no zip reader takes a zip without its end record. A version not
   * pinned yet counts against `client`'s rate of new pins (429 before any byte).
   */
  async zip(
    target: PinnedTarget,
    version: ModuleVersion,
    client: string,
    open: (onFileDigest?: FileDigestSink) => Promise<ModuleZipStream>,
  ): Promise<ModuleZipStream> {
    const verifiedKey = `${target.project.fullPath} ${version.modulePath}@${version.version} ${version.commit}`;
    const pin = await this.#pinOf(target, version.version);
    if (this.#zipVerified.has(verifiedKey) && pin?.commit === version.commit && pin.zip !== undefined) return open();
    if (pin === undefined) this.#newPins.take(client);
    const stream = await openHashedZip(open);
    return {
      chunks: this.#pinBeforeEnd(pinOf(target, version), stream, verifiedKey, pin === undefined),
      cancel: () => stream.cancel(),
      verdict: stream.verdict,
    };
  }

  /** Passes the zip on as it comes, its end record once the pin holds. */
  #pinBeforeEnd(pin: Pin, zip: HashedZipStream, verifiedKey: string, isNew: boolean): AsyncGenerator<Uint8Array> {
    return withEndHeldBack(zip.chunks, async () => {
      await this.#record({ ...pin, zip: zip.digest() });
      if (isNew) await this.#onNewPin?.(pin);
      this.#zipVerified.add(verifiedKey);
    });
  }

  async #record(pin: Pin): Promise<void> {
    try {
      await this.store.record(pin);
    } catch (error) {
      if (!(error instanceof PinConflictError)) throw error;
      this.#warn(`refused to serve different content: ${error.message}`);
      throw new ProxyError(
        'content-changed',
        `${pin.module}@${pin.version}: content differs from what this proxy served before; refusing to serve it`,
      );
    }
  }

  /** The pin of a version of the target's module, under the project that owns it. */
  #pinOf(target: PinnedTarget, version: string): Promise<Pin | undefined> {
    return this.store.get(target.project.fullPath, target.module.modulePath, version);
  }

  /** A resolved version whose version string is pinned to another commit is answered from the pin. */
  async #keepPinned(target: PinnedTarget, live: ModuleVersion): Promise<ModuleVersion> {
    const pin = await this.#pinOf(target, live.version);
    return pin === undefined || pin.commit === live.commit ? live : this.#fromPin(target, pin, live.commit);
  }

  async #fromPin(target: PinnedTarget, pin: Pin, liveCommit: string | undefined): Promise<ModuleVersion> {
    this.#noteMismatch(pin, liveCommit);
    const exists = await target.gitRepository.ownsCommit(pin.commit);
    const pinned = exists ? await target.module.atCommit(pin.version, pin.commit) : undefined;
    if (pinned === undefined) {
      const now = liveCommit === undefined ? 'its tag is gone' : `its tag now points at commit ${liveCommit}`;
      throw gone(
        `${pin.module}@${pin.version} was served from commit ${pin.commit}, which is no longer in the repository, and ${now}`,
      );
    }
    return pinned;
  }

  #noteMismatch(pin: Pin, liveCommit: string | undefined): void {
    const key = `${pin.project} ${pin.module} ${pin.version} ${liveCommit ?? '-'}`;
    if (this.#mismatches.has(key)) return;
    this.#mismatches.add(key);
    const now = liveCommit === undefined
      ? 'the repository no longer has it (tag deleted?)'
      : `the repository now resolves it to commit ${liveCommit}`;
    this.#warn(
      `${pin.module}@${pin.version} is pinned to commit ${pin.commit}, but ${now}; serving the pinned commit while it exists`,
    );
  }
}

/** The pin store's series, for a store that lives elsewhere (nothing for the pins file). */
function pinStoreMetrics(health: PinStoreHealth | undefined): string {
  if (health === undefined) return '';
  return (
    gauge(
      'git_goproxy_pin_store_up',
      'Whether the pin store (PostgreSQL) can be reached: 1 or 0.',
      health.available ? 1 : 0,
    ) +
    counterValue('git_goproxy_pin_store_errors_total', 'Pin store calls that failed or timed out.', health.errors) +
    counterValue(
      'git_goproxy_pin_store_calls_total',
      'Pin store calls made (pins kept in memory need none).',
      health.calls,
    ) +
    counterValue('git_goproxy_pin_store_seconds_total', 'Seconds spent in pin store calls.', health.seconds)
  );
}

/** The pin a served version makes (without the zip hash), owned by the target's project. */
function pinOf(target: PinnedTarget, version: ModuleVersion): Pin {
  const { fullPath: project } = target.project;
  return {
    project,
    module: version.modulePath,
    version: version.version,
    commit: version.commit,
    time: infoTime(version.time),
    mod: hashGoMod(version.goMod),
  };
}
