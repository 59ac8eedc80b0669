/**
 * The seam between HTTP and the modules: everything `http/` (the protocol's handler, the go-get
 * page, the web pages) asks of the proxy, and nothing of how it is answered. As Athens' download
 * `Protocol` (List, Info, Latest, GoMod, Zip), the HTTP layer never sees a repository, a pin store,
 * the zip cache or the spool.
 *
 * `ProxyService` finds the module a request names, for its caller, in its scope; a `ServedModule`
 * answers the protocol for that one module. `access/module-service.ts` is the implementation: a
 * module of a local project's git repository is a `LocalModule` (`access/local-module.ts`), a
 * module no project owns, from the upstream proxies, an `UpstreamModule`
 * (`access/upstream-module.ts`). The handler answers both alike.
 */
import type { Caller, CallerRequest, Visibility } from './auth.ts';
import type { CommitFacts, LicenseFact } from '../facts/commit-facts.ts';
import type { Pin } from '../pins/store.ts';
import type { ZipBody } from '../zip/zip-body.ts';
import type { SumdbAnswer } from '../upstream/sumdb-proxy.ts';
import type { CachedModulesPage } from '../upstream/cached-modules.ts';
import type { HookHeaders, HookOutcome } from '../mirrors/webhook.ts';

export type { ZipBody } from '../zip/zip-body.ts';
export type { SumdbAnswer } from '../upstream/sumdb-proxy.ts';
export type { CachedFile, CachedModule, CachedModulesPage } from '../upstream/cached-modules.ts';

/** Which projects a module request may be answered from. `id` is a numeric id or a full path. */
export type Scope =
  | { readonly kind: 'instance' }
  | { readonly kind: 'project'; readonly id: string }
  | { readonly kind: 'group'; readonly id: string };

/** A local project, as requests and pages see it. */
export interface ProjectFacts {
  /** `group/sub/name` */
  readonly fullPath: string;
  /** GitLab's numeric id, when the config gives one. */
  readonly id: number | undefined;
  /** The module path of the repository root. */
  readonly modulePath: string;
  readonly visibility: Visibility;
}

/** What the proxy answers, for `http/`. Every method answers from memory at once, or is async. */
export interface ProxyService {
  /** Whether the first scan of the repositories is done; before it no module is found. */
  readonly isReady: boolean;
  /** Resolves once `isReady`: module requests and pages wait for it. */
  readonly ready: Promise<void>;
  /** Why the proxy cannot take every request now (`/-/ready` answers 503 with it), or undefined when it can. */
  notReady(): string | undefined;
  /**
   * Who a request acts as, from its credentials (the tokens in force now); credentials that were
   * presented but do not count make it anonymous, and are logged.
   */
  caller(request: CallerRequest): Caller;
  /**
   * The module a request names, in `scope`, for `caller`; throws a `not-found` `ProxyError`, the
   * same whether nothing serves the path or the caller may not read what does.
   */
  module(scope: Scope, modulePath: string, caller: Caller): ServedModule;
  /** The project that owns an import path, as the instance scope finds it, when the caller may read it (go-get pages). */
  projectForImport(importPath: string, caller: Caller): ProjectFacts | undefined;
  /** The projects the caller may read, in full-path order (the home page, the catalog). */
  readableProjects(caller: Caller): readonly ProjectFacts[];
  /**
   * The modules from the upstream proxies whose files the cache holds, `[start, start + count)` in
   * path order (the pages); undefined when there are none for this caller to see: no upstream, or
   * it may not read upstream modules.
   */
  cachedUpstreamModules(caller: Caller, start: number, count: number): CachedModulesPage | undefined;
  /** The host part of the projects' module paths in force (`moduleHost`: the home page's advice). */
  readonly moduleHost: string;
  /** The checksum databases proxied at `/sumdb/<name>/` (config `sumdbs`), or undefined when none is. */
  readonly checksumDatabases: ChecksumDatabases | undefined;
  /** Push webhooks from git hosts (`POST /-/hooks/push`); undefined while they are off (no `webhookSecret`). */
  readonly pushHooks: PushHooks | undefined;
}

export type { HookHeaders, HookOutcome } from '../mirrors/webhook.ts';

/** Takes a git host's push webhooks: the mirrors of the repository it names are fetched. */
export interface PushHooks {
  /**
   * Verifies a delivery (its signature or token before anything in the body is read) and acts on it;
   * throws an `unauthorized` `ProxyError` for a bad signature, `not-found` when no mirror has the
   * repository, `bad-request` for a body that is not a JSON object.
   */
  receive(headers: HookHeaders, body: Uint8Array): HookOutcome;
}

/** Checksum databases reached through the proxy. */
export interface ChecksumDatabases {
  /** The answer to `/sumdb/<path>` (`path` percent-decoded); not-found for a database not proxied, forbidden for a private path's lookup. */
  answer(path: string): Promise<SumdbAnswer>;
}

/** A version as `.info` and `@latest` answer it (a git-backed `ModuleVersion`, modules/module-repo.ts, is one). */
export interface ServedInfo {
  readonly modulePath: string;
  /** The canonical version (what `.info`'s `Version` says). */
  readonly version: string;
  /** `.info`'s `Time`. */
  readonly time: Date;
  /**
   * The git commit its files come from (`.info`'s `Origin.Hash`), when the source knows it. With the
   * module path and version, what the ETags of `.info`, `.mod` and `.zip` are made from.
   */
  readonly commit: string | undefined;
  /** The tag it was made from (`Origin.Ref`), when it was. */
  readonly tag: string | undefined;
  /**
   * The `.info` answer as its source wrote it (an upstream proxy's), sent as it is with an ETag
   * from its bytes; undefined: made from the fields above.
   */
  readonly info?: Uint8Array;
  /** Whether it is an earlier answer, given because its source failed now (sent with a `Warning: 110`). */
  readonly stale?: boolean;
}

/** A version as `.mod` and `.zip` answer it: with its go.mod. */
export interface ServedVersion extends ServedInfo {
  /** The `.mod` answer. */
  readonly goMod: Uint8Array;
}

/** A `list` answer. */
export interface VersionList {
  /** The versions, oldest first (an upstream's in its order). */
  readonly versions: readonly string[];
  /** Whether it is an earlier answer, given because its source failed now (sent with a `Warning: 110`). */
  readonly stale: boolean;
}

/** One module, found for one request: the protocol's answers for it, and the facts the web pages show. */
export interface ServedModule {
  readonly modulePath: string;
  /** The local project that holds it (the pages); undefined for a module from elsewhere. */
  readonly project: ProjectFacts | undefined;
  /** Who answers for it, in the access log and the pin record: its project's full path, or `/upstream` (pins/store.ts `UPSTREAM`). */
  readonly owner: string;
  /** Whether anyone may read it, so that shared caches may keep its answers (`Cache-Control: public`). */
  readonly shared: boolean;
  /**
   * Set while its repository has not been filled yet (a mirror before its first fetch): it answers
   * as a repository without versions, and its answers say when to ask again (`Retry-After`).
   */
  readonly retryAfterSeconds: number | undefined;
  /** The `list` answer. */
  list(): Promise<VersionList>;
  /** The `@latest` answer. */
  latest(): Promise<ServedInfo>;
  /** The `.info` answer of a version or a query (`master`, a commit hash prefix, `latest`). */
  info(query: string): Promise<ServedInfo>;
  /** A canonical version, as `.mod` and `.zip` answer it (a local one is not pinned). */
  exact(version: string): Promise<ServedVersion>;
  /**
   * The `.mod` answer of a canonical version (its `goMod`). With a `client` (a GET) the version is
   * pinned first, counted against that client's rate of new pins; without one (a HEAD) nothing is.
   */
  mod(version: string, client: string | undefined): Promise<ServedVersion>;
  /** The zip of a version `exact` or `mod` answered: rejects before its first byte when it cannot be served. */
  zip(version: ServedVersion, request: ZipRequest): Promise<ZipBody>;
  /** What has been served under a version, if anything (module and version pages). */
  pin(version: string): Promise<Pin | undefined>;
  /** Why the go command would refuse a version's zip, or undefined (module page: no zip is made). */
  zipRefusal(version: ServedInfo): Promise<string | undefined>;
  /**
   * What the pages show of a version's commit: the files of its zip and what it leaves out, its
   * README rendered (module and version pages). Derived once per commit and kept (bounded).
   */
  commitFacts(version: ServedInfo): Promise<CommitFacts>;
  /** The license files at a version's module root and the license each holds (page headers, the catalog). */
  licenses(version: ServedInfo): Promise<readonly LicenseFact[]>;
  /**
   * A file of a version's zip, as a README links to it: undefined when the zip has no such file;
   * throws `ObjectTooLargeError` (git/objects.ts) past `maxBytes`.
   */
  versionFile(version: ServedInfo, path: string, maxBytes: number): Promise<Uint8Array | undefined>;
  /** The module paths its repository's tags name (itself, submodules, major versions), to be listed beside it. */
  relatedModulePaths(): Promise<readonly string[]>;
}

/** What a zip request brings. */
export interface ZipRequest {
  /** Whose rate of new pins a first download counts against: a token's name, else an address. */
  readonly client: string;
  /** Aborts when the client goes away: the zip stops being made for it. */
  readonly signal: AbortSignal;
  /** A HEAD: no body is wanted, so a zip that is not at hand is checked, not built for it. */
  readonly head: boolean;
}
