/**
 * Versions are immutable: every answer about a pinned version comes from its pinned commit, and
 * every `.mod` and `.zip` served pins its version (see file-store.ts for the record).
 *
 * - A canonical version that is pinned resolves to the pinned commit while that commit is in the
 *   repository, even after its tag moved or was deleted; when the commit is gone the version is
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
 */
import { ProxyError, gone } from '../common/errors.ts';
import { GitError, runGit } from '../git/run.ts';
import type { Limiter } from '../git/limiter.ts';
import { infoTime, type ModuleRepo, type ModuleVersion } from '../modules/module-repo.ts';
import type { ModuleZipStream } from '../zip/source.ts';
import { PinConflictError, type Pin, type PinStore } from './file-store.ts';
import { isPseudoVersion } from '../modules/pseudo.ts';
import * as semver from '../modules/semver.ts';
import { END_SIZE } from '../zip/format.ts';
import { Hash1, hashGoMod } from '../zip/hash.ts';

/** The module a request is about, and where its repository is. */
export interface PinnedTarget {
  readonly module: ModuleRepo;
  readonly gitRepository: { readonly gitDir: string };
}

/** Receives each file's SHA-256 as a zip streams. */
export type FileDigestSink = (name: string, sha256Hex: string) => void;

export interface PinGuardOptions {
  readonly store: PinStore;
  /** Where warnings go (one line each). */
  readonly warn: (message: string) => void;
  /** Limits the git processes that check whether a pinned commit still exists. */
  readonly limiter?: Limiter;
}

/** A zip's end of central directory record (ours never has a comment): the bytes held back. */
const END_RECORD_BYTES = END_SIZE;

export class PinGuard {
  readonly store: PinStore;
  readonly #warn: (message: string) => void;
  readonly #limiter: Limiter | undefined;
  /** `module version live-commit` of each tag found not matching its pin. */
  readonly #mismatches = new Set<string>();
  /**
   * `module@version commit` of each zip this process has hashed and found equal to its pin. The
   * same commit, git binary and code make the same files, so repeats are not hashed again (inflating
   * every entry to hash it costs more than git's own deflate); a restart, e.g. after a git upgrade,
   * checks each version once more. One short string per version served.
   */
  readonly #zipVerified = new Set<string>();

  constructor(options: PinGuardOptions) {
    this.store = options.store;
    this.#warn = options.warn;
    this.#limiter = options.limiter;
    if (this.store.endedTorn) this.#warn(`${this.store.file} ends in a torn line (a crash during a write): it is ignored`);
  }

  /** How many (version, tag state) pairs were found where the tag no longer matches the pin: for `/metrics`. */
  get tagMismatches(): number {
    return this.#mismatches.size;
  }

  /** The `list` answer: the repository's versions plus pinned tagged versions whose tags are gone. */
  list(repo: ModuleRepo, versions: readonly string[]): string[] {
    const kept = this.store.versions(repo.modulePath).filter((v) => !isPseudoVersion(v) && !versions.includes(v));
    return kept.length === 0 ? [...versions] : semver.sortVersions([...versions, ...kept]);
  }

  /** `.info` of any query: as the repository resolves it, unless the version it names is pinned elsewhere. */
  async stat(target: PinnedTarget, query: string): Promise<ModuleVersion> {
    if (query === 'latest') return this.latest(target);
    if (this.store.get(target.module.modulePath, query) !== undefined) return this.exact(target, query);
    return this.#keepPinned(target, await target.module.stat(query));
  }

  /**
   * `@latest`: chosen from the list with pinned versions in it, as the go command chooses from a
   * proxy's list (`modload.queryProxy`: the highest release, else the highest pre-release).
   */
  async latest(target: PinnedTarget): Promise<ModuleVersion> {
    const live = await target.module.versions();
    const listed = this.list(target.module, live);
    const best = listed.filter((v) => semver.prerelease(v) === '').at(-1) ?? listed.at(-1);
    if (best !== undefined && !live.includes(best)) return this.exact(target, best);
    return this.#keepPinned(target, await target.module.latest());
  }

  /** `.mod`/`.zip` version: the pinned commit when pinned, else as the repository resolves it exactly. */
  async exact(target: PinnedTarget, version: string): Promise<ModuleVersion> {
    const pin = this.store.get(target.module.modulePath, version);
    if (pin === undefined) return target.module.exact(version);
    const live = await target.module.exact(version).catch((error: unknown) => {
      if (error instanceof ProxyError && error.kind === 'not-found') return undefined;
      throw error;
    });
    return live?.commit === pin.commit ? live : this.#fromPin(target, pin, live?.commit);
  }

  /** Pins a version whose `.mod` is about to be served; refuses a go.mod that differs from the pin. */
  async recordGoMod(version: ModuleVersion): Promise<void> {
    await this.#record(pinOf(version));
  }

  /**
   * Opens a zip through `open` with a digest sink, and returns it with its last bytes (the end
   * record) held back until the zip's `h1:` is pinned (or found equal to the pin). A different
   * hash fails the stream, and no zip reader takes a zip without its end record.
   */
  async zip(version: ModuleVersion, open: (onFileDigest?: FileDigestSink) => Promise<ModuleZipStream>): Promise<ModuleZipStream> {
    const verifiedKey = `${version.modulePath}@${version.version} ${version.commit}`;
    const pin = this.store.get(version.modulePath, version.version);
    if (this.#zipVerified.has(verifiedKey) && pin?.commit === version.commit && pin.zip !== undefined) return open();
    const hash = new Hash1();
    const stream = await open((name, sha256Hex) => hash.add(name, sha256Hex));
    return { chunks: this.#pinBeforeEnd(version, stream.chunks, hash, verifiedKey), cancel: () => stream.cancel() };
  }

  /**
   * Passes the zip on as it comes, all but its last END_RECORD_BYTES, which go out once the pin
   * holds: holding only those, not a whole chunk, lets the first byte go out as soon as git's does.
   */
  async *#pinBeforeEnd(version: ModuleVersion, chunks: AsyncIterable<Uint8Array>, hash: Hash1, verifiedKey: string): AsyncGenerator<Uint8Array> {
    let held: Uint8Array = new Uint8Array(0);
    for await (const chunk of chunks) {
      if (chunk.length >= END_RECORD_BYTES) {
        if (held.length > 0) yield held;
        if (chunk.length > END_RECORD_BYTES) yield chunk.subarray(0, chunk.length - END_RECORD_BYTES);
        held = chunk.subarray(chunk.length - END_RECORD_BYTES);
        continue;
      }
      const joined = Buffer.concat([held, chunk]); // a short piece: a short copy
      const cut = Math.max(0, joined.length - END_RECORD_BYTES);
      if (cut > 0) yield joined.subarray(0, cut);
      held = joined.subarray(cut);
    }
    await this.#record({ ...pinOf(version), zip: hash.digest() });
    this.#zipVerified.add(verifiedKey);
    if (held.length > 0) yield held;
  }

  async #record(pin: Pin): Promise<void> {
    try {
      await this.store.record(pin);
    } catch (error) {
      if (!(error instanceof PinConflictError)) throw error;
      this.#warn(`refused to serve different content: ${error.message}`);
      throw new ProxyError('content-changed', `${pin.module}@${pin.version}: content differs from what this proxy served before; refusing to serve it`);
    }
  }

  /** A resolved version whose version string is pinned to another commit is answered from the pin. */
  #keepPinned(target: PinnedTarget, live: ModuleVersion): Promise<ModuleVersion> | ModuleVersion {
    const pin = this.store.get(live.modulePath, live.version);
    return pin === undefined || pin.commit === live.commit ? live : this.#fromPin(target, pin, live.commit);
  }

  async #fromPin(target: PinnedTarget, pin: Pin, liveCommit: string | undefined): Promise<ModuleVersion> {
    this.#noteMismatch(pin, liveCommit);
    const exists = await commitExists(target.gitRepository.gitDir, pin.commit, this.#limiter);
    const pinned = exists ? await target.module.atCommit(pin.version, pin.commit) : undefined;
    if (pinned === undefined) {
      const now = liveCommit === undefined ? 'its tag is gone' : `its tag now points at commit ${liveCommit}`;
      throw gone(`${pin.module}@${pin.version} was served from commit ${pin.commit}, which is no longer in the repository, and ${now}`);
    }
    return pinned;
  }

  #noteMismatch(pin: Pin, liveCommit: string | undefined): void {
    const key = `${pin.module} ${pin.version} ${liveCommit ?? '-'}`;
    if (this.#mismatches.has(key)) return;
    this.#mismatches.add(key);
    const now = liveCommit === undefined ? 'the repository no longer has it (tag deleted?)' : `the repository now resolves it to commit ${liveCommit}`;
    this.#warn(`${pin.module}@${pin.version} is pinned to commit ${pin.commit}, but ${now}; serving the pinned commit while it exists`);
  }
}

/** The pin a served version makes (without the zip hash). */
function pinOf(version: ModuleVersion): Pin {
  return { module: version.modulePath, version: version.version, commit: version.commit, time: infoTime(version.time), mod: hashGoMod(version.goMod) };
}

/**
 * Whether a commit is in the repository, asked of a fresh git process: a long-lived `cat-file`
 * started before a `git gc` may still read a deleted pack.
 */
async function commitExists(gitDir: string, commit: string, limiter: Limiter | undefined): Promise<boolean> {
  try {
    await runGit(gitDir, ['cat-file', '-e', '--end-of-options', `${commit}^{commit}`], { limiter });
    return true;
  } catch (error) {
    if (error instanceof GitError && (error.exitCode === 1 || error.exitCode === 128)) return false;
    throw error;
  }
}
