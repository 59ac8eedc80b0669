/**
 * A module no local project owns, answered from the upstream proxies (`ServedModule`, service.ts):
 * the module service hands one out for a path that may be asked upstream, on the instance endpoint,
 * to a caller who may read upstream modules (module-service.ts). Everything it answers comes from
 * upstream/upstream-modules.ts, which checks again that the path is not private before any request.
 *
 * Its `.info` and `@latest` answers keep the upstream's bytes (`ServedInfo.info`), and its moving
 * answers say when they are stale. A version's `.mod` is pinned when it is first fetched, whoever
 * asks; there is no commit, tag, zip plan or README to show (the pages show local modules only).
 */
import { notFound } from '../common/errors.ts';
import type { Pin } from '../pins/store.ts';
import { UPSTREAM } from '../pins/store.ts';
import type { UpstreamInfo, UpstreamModules } from '../upstream/upstream-modules.ts';
import { cachedZipBody } from '../zip/zip-body.ts';
import type { CommitFacts, LicenseFact } from '../facts/commit-facts.ts';
import type { ServedInfo, ServedModule, ServedVersion, VersionList, ZipBody } from './service.ts';

export class UpstreamModule implements ServedModule {
  readonly modulePath: string;
  readonly project = undefined;
  readonly owner = UPSTREAM;
  readonly shared: boolean;
  readonly retryAfterSeconds = undefined;
  readonly #upstream: UpstreamModules;

  /** `shared`: whether anyone may read upstream modules (`upstreamAccess: "anyone"`). */
  constructor(modulePath: string, upstream: UpstreamModules, shared: boolean) {
    this.modulePath = modulePath;
    this.#upstream = upstream;
    this.shared = shared;
  }

  list(): Promise<VersionList> {
    return this.#upstream.list(this.modulePath);
  }

  async latest(): Promise<ServedInfo> {
    return this.#served(await this.#upstream.latest(this.modulePath));
  }

  async info(query: string): Promise<ServedInfo> {
    return this.#served(await this.#upstream.info(this.modulePath, query));
  }

  async exact(version: string): Promise<ServedVersion> {
    const exact = await this.#upstream.exact(this.modulePath, version);
    return { ...this.#served(exact), goMod: exact.goMod };
  }

  /** The `.mod` answer; pinned when it is first fetched (a HEAD too: the upstream's bytes are held to from then on). */
  mod(version: string): Promise<ServedVersion> {
    return this.exact(version);
  }

  /** The zip from the cache, or streamed from the upstream into it (a HEAD too: it is cached for the GET that follows). */
  async zip(version: ServedInfo): Promise<ZipBody> {
    return cachedZipBody(await this.#upstream.zip(this.modulePath, version.version));
  }

  pin(version: string): Promise<Pin | undefined> {
    return this.#upstream.pin(this.modulePath, version);
  }

  /** None known before its zip is fetched: an upstream zip is checked as it streams (a malformed one fails). */
  zipRefusal(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }

  /** Not shown: the pages show local projects' modules only. */
  commitFacts(): Promise<CommitFacts> {
    return Promise.reject(this.#noFacts());
  }

  licenses(): Promise<readonly LicenseFact[]> {
    return Promise.reject(this.#noFacts());
  }

  versionFile(): Promise<Uint8Array | undefined> {
    return Promise.reject(this.#noFacts());
  }

  relatedModulePaths(): Promise<readonly string[]> {
    return Promise.resolve([this.modulePath]);
  }

  #noFacts(): Error {
    return notFound(`${this.modulePath}: the files of a module from elsewhere are not shown here`);
  }

  #served(info: UpstreamInfo): ServedInfo {
    return {
      modulePath: this.modulePath,
      version: info.version,
      time: info.time,
      commit: undefined,
      tag: undefined,
      info: info.body,
      stale: info.stale,
    };
  }
}
