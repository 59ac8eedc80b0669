/**
 * Options of the proxy, their defaults, and validation of the JSON config file.
 *
 * The same `ProxyOptions` object configures `createHandler()` and the CLI; the CLI's config file
 * holds these keys plus the server-only ones (`ServerConfig`). Validation is strict: an unknown key
 * or a bad value stops start-up with a one-line error naming the key (`config: projects[1].id: …`).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseExpiry, type TokenConfig, type Visibility } from '../access/auth.ts';
import {
  DEFAULT_RESCAN_INTERVAL_SECONDS,
  MAX_RESCAN_INTERVAL_SECONDS,
  type ProjectConfig,
} from '../access/projects.ts';
import type { GroupConfig } from '../access/groups.ts';
import { projectPathError } from '../discovery/project-source.ts';
import type { CompressionLevel } from '../git/archive.ts';
import { ConfigError } from '../common/errors.ts';
import { postgresUrlPassword } from '../pins/postgres-store.ts';
import type { MirrorConfig, ServiceOptions } from '../access/module-service.ts';
import type { RemoteCredentials, SharedCredentials } from '../mirrors/credentials.ts';
import {
  DEFAULT_FETCH_INTERVAL_SECONDS,
  DEFAULT_FETCH_TIMEOUT_SECONDS,
  DEFAULT_MAX_FETCHES,
} from '../mirrors/mirror-set.ts';
import { remoteUrlError } from '../mirrors/remote-url.ts';
import { checkModulePath } from '../modules/module-path.ts';
import { grantPatternError } from '../access/grants.ts';
import { trustedProxyError } from '../access/client-address.ts';
import { basePathError } from '../http/base-path.ts';
import { DEFAULT_ANSWER_DEADLINE_SECONDS } from '../http/deadline.ts';
import type { LogLevel } from '../common/log.ts';
import { LOG_LEVELS } from '../common/log.ts';
import { privatePatternsError } from '../upstream/private-paths.ts';

/** Options of `createHandler()`: everything that decides what is served and how. */
export interface ProxyOptions {
  /** Directory searched (recursively) for bare git repositories. Default `./repos`. */
  repos?: string;
  /** Host part of module paths: project `group/name` is module `<moduleHost>/group/name`. Default `go.localhost`. */
  moduleHost?: string;
  /** Per-project settings. */
  projects?: ProjectConfig[];
  /** Numeric ids of groups, for `/api/v4/groups/:id/-/packages/go` (GitLab's group ids). */
  groups?: GroupConfig[];
  /**
   * Visibility of projects without one in their config entry. Default `local`: a server started
   * on a public address shows nothing to other machines until told to.
   */
  defaultVisibility?: Visibility;
  /** Access tokens for private projects. */
  tokens?: TokenConfig[];
  /**
   * Addresses or CIDR ranges of the reverse proxies in front of the server (`127.0.0.1`,
   * `10.0.0.0/8`): their `X-Forwarded-For` names the client, and a request is `local` only when one
   * of them names a client on loopback. Default: none (no header is believed).
   */
  trustedProxies?: string[];
  /** Compression of zip entries, passed to `git archive`: `store` (-0), `fast` (-1) or `default`. */
  compression?: CompressionLevel;
  /** Most git processes running at once (archive, ls-tree, …); default: 2 × CPU cores. */
  maxGit?: number;
  /** Most long-lived `git cat-file` helpers at once, over all repositories (idle ones make room); default 32. */
  maxObjectReaders?: number;
  /** Size bound of the on-disk zip cache in MiB (`<dataDir>/zips`); default: no cache, zips stream from git every time. */
  zipCacheMiB?: number;
  /**
   * Most MiB of zips spooled to disk (`<dataDir>/spool`) at once for clients slower than git, so
   * that they do not hold git processes; default 1024. Past it, zips go at their client's pace.
   */
  zipSpoolMiB?: number;
  /** Zip responses one client (token, else address) may have under way at once; past it `429`. Default 32. */
  zipStreamsPerClient?: number;
  /** Directory for the proxy's own state (shadow git dirs, pins, zip cache, zip spool); default: `<repos>/.git-goproxy`. */
  dataDir?: string;
  /**
   * Where pins are kept: a `postgres://user@host:port/database` URL keeps them in PostgreSQL, one
   * record for every instance (password from the URL, PGPASSWORD or ~/.pgpass); default: the JSON-lines
   * file `<dataDir>/pins.jsonl`.
   */
  pins?: string;
  /** Path prefix to serve under, e.g. `/goproxy` (then `GOPROXY=https://host/goproxy`); default: the root. */
  basePath?: string;
  /** Lowest level of log lines written to stderr (the access log is `info`); process-wide. Default `info`. */
  logLevel?: LogLevel;
  /** Seconds between background rescans of `repos` for repositories added or removed; default 30, at most a day. */
  rescanInterval?: number;
  /** New versions one client (a token, else an address) may pin per minute, and at once; then 429. Default 1000. */
  maxNewPinsPerMinute?: number;
  /** Seconds the file-system and git work behind an answer may take before it is a 503; default 30. */
  answerDeadline?: number;
  /** Repositories on other git hosts, mirrored in `<dataDir>/mirrors` and served as projects. */
  mirrors?: MirrorConfig[];
  /** Credentials for the mirrors whose URL starts with `urlPrefix` (a mirror's own `credentials` win). */
  credentials?: SharedCredentials[];
  /** Seconds between two fetches of a mirror (a mirror's own `fetchInterval` wins); default 300. */
  fetchInterval?: number;
  /** Seconds a mirror fetch may take before it is killed; default 600. */
  fetchTimeout?: number;
  /** Mirror fetches running at once; default 4. */
  maxFetches?: number;
  /** The secret push webhooks (`POST /-/hooks/push`) are signed with; none: the endpoint is off. */
  webhookSecret?: string;
  /**
   * GOPROXY base URLs that answer for module paths no local project owns, tried in order (the next
   * only after a 404 or 410), e.g. `["https://proxy.golang.org"]`; default none: local modules only.
   */
  upstream?: string[];
  /** Module path globs never sent upstream, GOPRIVATE syntax (`corp.example.com,*.internal`), besides the module host and local projects. */
  private?: string;
  /** Checksum databases proxied at `/sumdb/<name>/`: name → URL; default `{"sum.golang.org": "https://sum.golang.org"}` with `upstream`, else none. */
  sumdbs?: Record<string, string>;
  /** Seconds an upstream `list`, `@latest` or query answer is used before it is asked again; default 60. */
  upstreamListSeconds?: number;
  /** Bound of the on-disk upstream cache (`<dataDir>/upstream`) in MiB; default 4096. */
  upstreamCacheMiB?: number;
  /** Who may read modules from the upstream: `anyone` (as a public project; default) or `authenticated` (any valid token). */
  upstreamAccess?: UpstreamAccess;
}

/** Who may read modules from the upstream. */
export type UpstreamAccess = 'anyone' | 'authenticated';

/** The CLI's config file: `ProxyOptions` plus how to listen. */
export interface ServerConfig extends ProxyOptions {
  /** `HOST:PORT` to listen on; default `127.0.0.1:8080`. */
  listen?: string;
  /** Processes serving the port (node:cluster); default 1, no cluster. */
  workers?: number;
  /** Seconds in-flight responses get to finish on SIGTERM/SIGINT before git children are killed; default 30. */
  shutdownTimeout?: number;
  /** Seconds a client gets to send its request headers; default 20 (http/server.ts). */
  headersTimeout?: number;
  /** Seconds a client gets to send its whole request; default 30. */
  requestTimeout?: number;
  /** Seconds a connection may move no byte either way (a client that stops reading a zip) before it is dropped; default 60. */
  idleTimeout?: number;
}

/** `ProxyOptions` with every default filled in. */
export interface ResolvedOptions extends ServiceOptions {
  repos: string;
  moduleHost: string;
  projects: ProjectConfig[];
  groups: GroupConfig[];
  defaultVisibility: Visibility;
  tokens: TokenConfig[];
  trustedProxies: string[];
  compression: CompressionLevel;
  maxGit: number | undefined;
  maxObjectReaders: number | undefined;
  zipCacheMiB: number | undefined;
  zipSpoolMiB: number;
  zipStreamsPerClient: number;
  dataDir: string | undefined;
  pins: string | undefined;
  /** `''` when served at the root. */
  basePath: string;
  logLevel: LogLevel | undefined;
  rescanInterval: number;
  maxNewPinsPerMinute: number | undefined;
  answerDeadline: number;
  mirrors: MirrorConfig[];
  credentials: SharedCredentials[];
  fetchInterval: number;
  fetchTimeout: number;
  maxFetches: number;
  webhookSecret: string | undefined;
  upstream: string[];
  private: string;
  sumdbs: Record<string, string>;
  upstreamListSeconds: number;
  upstreamCacheMiB: number;
  upstreamAccess: UpstreamAccess;
}

export const DEFAULT_LISTEN = '127.0.0.1:8080';
export const DEFAULT_MODULE_HOST = 'go.localhost';
export const DEFAULT_ZIP_SPOOL_MIB = 1024;
/** The go command fetches up to GOMAXPROCS modules at once (`go mod download`). */
export const DEFAULT_ZIP_STREAMS_PER_CLIENT = 32;
export const DEFAULT_UPSTREAM_LIST_SECONDS = 60;
export const DEFAULT_UPSTREAM_CACHE_MIB = 4096;
/** The checksum database proxied when `upstream` is set and `sumdbs` is not: the go command's default GOSUMDB. */
export const DEFAULT_SUMDBS: Readonly<Record<string, string>> = { 'sum.golang.org': 'https://sum.golang.org' };

/** The `ProxyOptions` part of a server config (without `listen`, `workers`, `shutdownTimeout`). */
export function proxyOptionsOf(config: ServerConfig): ProxyOptions {
  const { listen: _listen, workers: _workers, shutdownTimeout: _shutdownTimeout, ...rest } = config;
  const { headersTimeout: _headersTimeout, requestTimeout: _requestTimeout, idleTimeout: _idleTimeout, ...options } =
    rest;
  return options;
}

/**
 * The options a reload applies while requests are served: who may read what (tokens, projects,
 * groups, visibility), the module paths, and the log level. The others are fixed for the life of a
 * handler (processes, caches, directories and timers are built from them).
 */
export const LIVE_OPTIONS: readonly string[] = [
  'tokens',
  'projects',
  'groups',
  'defaultVisibility',
  'trustedProxies',
  'moduleHost',
  'logLevel',
  'mirrors',
  'credentials',
  'fetchInterval',
  'fetchTimeout',
  'webhookSecret',
];

/** What a reload did: the settings that changed but apply only after a restart (empty when none). */
export interface ReloadOutcome {
  readonly restartNeeded: readonly string[];
}

/** The options of `createHandler()` that differ between `before` and `after` and that only a new handler applies. */
export function restartOptionsChanged(before: ResolvedOptions, after: ResolvedOptions): string[] {
  return changedKeys(Object.keys(PROXY_KEYS).filter((key) => !LIVE_OPTIONS.includes(key)), before, after);
}

/** The server-only settings of the config file (`listen`, `workers`, the timeouts) that differ: the CLI applies them at start-up only. */
export function serverSettingsChanged(before: ServerConfig, after: ServerConfig): string[] {
  return changedKeys(Object.keys(SERVER_KEYS).filter((key) => !Object.hasOwn(PROXY_KEYS, key)), before, after);
}

function changedKeys(keys: readonly string[], before: object, after: object): string[] {
  return keys.filter((key) =>
    !isDeepStrictEqual((before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key])
  );
}

/** Fills in defaults and validates options given in code (the same rules as the config file). */
export function resolveOptions(options: ProxyOptions = {}): ResolvedOptions {
  validateProxyOptions(options as Record<string, unknown>, PROXY_KEYS);
  return {
    repos: resolve(options.repos ?? './repos'),
    moduleHost: options.moduleHost ?? DEFAULT_MODULE_HOST,
    projects: options.projects ?? [],
    groups: options.groups ?? [],
    defaultVisibility: options.defaultVisibility ?? 'local',
    tokens: options.tokens ?? [],
    trustedProxies: options.trustedProxies ?? [],
    compression: options.compression ?? 'default',
    maxGit: options.maxGit,
    maxObjectReaders: options.maxObjectReaders,
    zipCacheMiB: options.zipCacheMiB,
    zipSpoolMiB: options.zipSpoolMiB ?? DEFAULT_ZIP_SPOOL_MIB,
    zipStreamsPerClient: options.zipStreamsPerClient ?? DEFAULT_ZIP_STREAMS_PER_CLIENT,
    dataDir: options.dataDir,
    pins: options.pins,
    basePath: options.basePath ?? '',
    logLevel: options.logLevel,
    rescanInterval: options.rescanInterval ?? DEFAULT_RESCAN_INTERVAL_SECONDS,
    maxNewPinsPerMinute: options.maxNewPinsPerMinute,
    answerDeadline: options.answerDeadline ?? DEFAULT_ANSWER_DEADLINE_SECONDS,
    mirrors: options.mirrors ?? [],
    credentials: options.credentials ?? [],
    fetchInterval: options.fetchInterval ?? DEFAULT_FETCH_INTERVAL_SECONDS,
    fetchTimeout: options.fetchTimeout ?? DEFAULT_FETCH_TIMEOUT_SECONDS,
    maxFetches: options.maxFetches ?? DEFAULT_MAX_FETCHES,
    webhookSecret: options.webhookSecret,
    upstream: options.upstream ?? [],
    private: options.private ?? '',
    sumdbs: options.sumdbs ?? (options.upstream?.length ? { ...DEFAULT_SUMDBS } : {}),
    upstreamListSeconds: options.upstreamListSeconds ?? DEFAULT_UPSTREAM_LIST_SECONDS,
    upstreamCacheMiB: options.upstreamCacheMiB ?? DEFAULT_UPSTREAM_CACHE_MIB,
    upstreamAccess: options.upstreamAccess ?? 'anyone',
  };
}

/** Reads and validates a config file; relative paths in it are relative to the file. */
export function loadConfigFile(file: string): ServerConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(file, (error as Error).message.split('\n')[0]);
  }
  if (!isPlainObject(parsed)) throw new ConfigError(file, 'must be a JSON object');
  validateProxyOptions(parsed, SERVER_KEYS);
  const config = parsed as ServerConfig;
  const base = dirname(resolve(file));
  if (config.repos !== undefined) config.repos = resolve(base, config.repos);
  if (config.dataDir !== undefined) config.dataDir = resolve(base, config.dataDir);
  const credentialFiles = (credentials: RemoteCredentials | undefined) =>
    credentials === undefined ? undefined : {
      ...credentials,
      ...(credentials.passwordFile === undefined ? {} : { passwordFile: resolve(base, credentials.passwordFile) }),
      ...(credentials.sshKeyFile === undefined ? {} : { sshKeyFile: resolve(base, credentials.sshKeyFile) }),
    };
  config.credentials = config.credentials?.map((entry) => ({ ...entry, ...credentialFiles(entry) }));
  config.mirrors = config.mirrors?.map((mirror) =>
    mirror.credentials === undefined ? mirror : { ...mirror, credentials: credentialFiles(mirror.credentials) }
  );
  return config;
}

type Check = (value: unknown, key: string) => void;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const string: Check = (value, key) => {
  if (typeof value !== 'string' || value === '') throw new ConfigError(key, 'must be a non-empty string');
};
const oneOf = (...allowed: string[]): Check => (value, key) => {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new ConfigError(key, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
};
const positiveInteger: Check = (value, key) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(key, 'must be a positive integer');
  }
};
const atMost = (limit: number): Check => (value, key) => {
  positiveInteger(value, key);
  if ((value as number) > limit) throw new ConfigError(key, `must be at most ${limit}`);
};
const absolutePath: Check = (value, key) => {
  string(value, key);
  if (!isAbsolute(value as string)) throw new ConfigError(key, 'must be an absolute path');
};
/** A non-empty string that `reasonAgainst` finds nothing wrong with (it says what is, when something is). */
const stringWhere = (reasonAgainst: (value: string) => string | undefined): Check => (value, key) => {
  string(value, key);
  const reason = reasonAgainst(value as string);
  if (reason !== undefined) throw new ConfigError(key, reason);
};
const projectPath = stringWhere(projectPathError);
const httpUrl: Check = (value, key) => {
  string(value, key);
  let url: URL | undefined;
  try {
    url = new URL(value as string);
  } catch {
    url = undefined;
  }
  if (
    url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== ''
  ) {
    throw new ConfigError(key, 'must be an http:// or https:// URL without query or fragment');
  }
};
const sumdbs: Check = (value, key) => {
  if (!isPlainObject(value)) throw new ConfigError(key, 'must be an object: database name → URL');
  for (const [name, url] of Object.entries(value)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(name)) {
      throw new ConfigError(`${key}.${name}`, 'must be a database name like "sum.golang.org"');
    }
    httpUrl(url, `${key}.${name}`);
  }
};
const privatePatterns: Check = (value, key) => {
  if (typeof value !== 'string') throw new ConfigError(key, 'must be a string of comma-separated globs');
  const reason = privatePatternsError(value);
  if (reason !== undefined) throw new ConfigError(key, reason);
};
const listen: Check = (value, key) => {
  string(value, key);
  if (parseListen(value as string) === undefined) {
    throw new ConfigError(key, 'must be HOST:PORT, e.g. "127.0.0.1:8080"');
  }
};

const arrayOf = (item: Check): Check => (value, key) => {
  if (!Array.isArray(value)) throw new ConfigError(key, 'must be an array');
  value.forEach((element, i) => item(element, `${key}[${i}]`));
};

const objectOf = (keys: Record<string, Check>, required: string[] = []): Check => (value, key) => {
  if (!isPlainObject(value)) throw new ConfigError(key, 'must be an object');
  for (const name of required) {
    if (value[name] === undefined) throw new ConfigError(`${key}.${name}`, 'is required');
  }
  for (const [name, field] of Object.entries(value)) {
    const check = keys[name];
    if (check === undefined) throw new ConfigError(`${key}.${name}`, 'unknown key');
    check(field, `${key}.${name}`);
  }
};

const tokenName: Check = (value, key) => {
  if (typeof value !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(value)) {
    throw new ConfigError(key, 'must be a name of letters, digits, "_", "." and "-"');
  }
};
const sha256Hex: Check = (value, key) => {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) {
    throw new ConfigError(key, 'must be 64 lower-case hex digits');
  }
};
const grantPattern = stringWhere(grantPatternError);
const expiry: Check = (value, key) => {
  if (typeof value !== 'string' || parseExpiry(value) === undefined) {
    throw new ConfigError(key, 'must be a date (2025-12-31) or a timestamp with offset (2025-12-31T18:00:00Z)');
  }
};

const trustedProxy: Check = (value, key) => {
  string(value, key);
  const reason = trustedProxyError(value as string);
  if (reason !== undefined) throw new ConfigError(key, reason);
};

const TOKEN_KEYS: Record<string, Check> = {
  name: tokenName,
  sha256: sha256Hex,
  grants: arrayOf(grantPattern),
  expires: expiry,
};

const PROJECT_KEYS: Record<string, Check> = {
  path: projectPath,
  id: positiveInteger,
  modulePath: string,
  visibility: oneOf('public', 'private', 'local'),
  repo: absolutePath,
};

const remoteUrl = stringWhere(remoteUrlError);
const modulePath = stringWhere(checkModulePath);

const CREDENTIAL_KEYS: Record<string, Check> = {
  username: string,
  password: string,
  passwordFile: string,
  sshKeyFile: string,
};

/** Credentials: a user name with a password or a password file, or an SSH key file (one secret, never two). */
const credentials = (keys: Record<string, Check>, required: string[] = []): Check => (value, key) => {
  objectOf(keys, required)(value, key);
  const entry = value as RemoteCredentials;
  const secrets = (['password', 'passwordFile', 'sshKeyFile'] as const).filter((name) => entry[name] !== undefined);
  if (secrets.length !== 1) throw new ConfigError(key, 'needs exactly one of password, passwordFile, sshKeyFile');
  if (secrets[0] !== 'sshKeyFile' && entry.username === undefined) {
    throw new ConfigError(`${key}.username`, `is required with ${secrets[0]}`);
  }
};

const MIRROR_KEYS: Record<string, Check> = {
  url: remoteUrl,
  path: projectPath,
  id: positiveInteger,
  modulePath,
  visibility: oneOf('public', 'private', 'local'),
  credentials: credentials(CREDENTIAL_KEYS),
  fetchInterval: atMost(MAX_RESCAN_INTERVAL_SECONDS),
};

const GROUP_KEYS: Record<string, Check> = {
  path: projectPath,
  id: positiveInteger,
};

const PROXY_KEYS: Record<string, Check> = {
  repos: string,
  moduleHost: string,
  projects: arrayOf(objectOf(PROJECT_KEYS, ['path'])),
  groups: arrayOf(objectOf(GROUP_KEYS, ['path', 'id'])),
  defaultVisibility: oneOf('public', 'private', 'local'),
  tokens: arrayOf(objectOf(TOKEN_KEYS, ['name', 'sha256', 'grants'])),
  trustedProxies: arrayOf(trustedProxy),
  compression: oneOf('store', 'fast', 'default'),
  maxGit: positiveInteger,
  maxObjectReaders: positiveInteger,
  zipCacheMiB: positiveInteger,
  zipSpoolMiB: positiveInteger,
  zipStreamsPerClient: positiveInteger,
  dataDir: string,
  pins: (value, key) => {
    string(value, key);
    postgresUrlPassword(value as string);
  },
  basePath: (value, key) => {
    string(value, key);
    const reason = basePathError(value as string);
    if (reason !== undefined) throw new ConfigError(key, reason);
  },
  logLevel: oneOf(...LOG_LEVELS),
  rescanInterval: atMost(MAX_RESCAN_INTERVAL_SECONDS),
  maxNewPinsPerMinute: positiveInteger,
  answerDeadline: positiveInteger,
  mirrors: arrayOf(objectOf(MIRROR_KEYS, ['url', 'path'])),
  credentials: arrayOf(credentials({ ...CREDENTIAL_KEYS, urlPrefix: remoteUrl }, ['urlPrefix'])),
  fetchInterval: atMost(MAX_RESCAN_INTERVAL_SECONDS),
  fetchTimeout: atMost(MAX_RESCAN_INTERVAL_SECONDS),
  maxFetches: positiveInteger,
  webhookSecret: (value, key) => {
    if (typeof value !== 'string' || value.length < MIN_WEBHOOK_SECRET) {
      throw new ConfigError(key, `must be a string of at least ${MIN_WEBHOOK_SECRET} characters`);
    }
  },
  upstream: arrayOf(httpUrl),
  private: privatePatterns,
  sumdbs,
  upstreamListSeconds: positiveInteger,
  upstreamCacheMiB: positiveInteger,
  upstreamAccess: oneOf('anyone', 'authenticated'),
};

/** Shortest webhook secret: a short one could be guessed from one signed delivery, offline. */
const MIN_WEBHOOK_SECRET = 16;

const SERVER_KEYS: Record<string, Check> = {
  ...PROXY_KEYS,
  listen,
  workers: positiveInteger,
  shutdownTimeout: positiveInteger,
  headersTimeout: positiveInteger,
  requestTimeout: positiveInteger,
  idleTimeout: positiveInteger,
};

function validateProxyOptions(options: Record<string, unknown>, keys: Record<string, Check>): void {
  for (const [name, value] of Object.entries(options)) {
    const check = keys[name];
    if (check === undefined) throw new ConfigError(name, 'unknown key');
    if (value !== undefined) check(value, name);
  }
  const mirrors = (options.mirrors ?? []) as MirrorConfig[];
  refuseDuplicates('projects', 'id', (options.projects ?? []) as ProjectConfig[]);
  refuseDuplicates('mirrors', 'id', mirrors, (options.projects ?? []) as ProjectConfig[]);
  refuseDuplicates('mirrors', 'path', mirrors, (options.projects ?? []) as ProjectConfig[]);
  refuseDuplicates('groups', 'id', (options.groups ?? []) as GroupConfig[]);
  refuseDuplicates('tokens', 'name', (options.tokens ?? []) as TokenConfig[]);
}

/**
 * Throws naming the first entry whose `field` repeats an earlier entry's, or one of `others` (entries
 * without it are skipped).
 */
function refuseDuplicates<T>(
  list: string,
  field: keyof T & string,
  entries: readonly T[],
  others: readonly Partial<Record<keyof T & string, unknown>>[] = [],
): void {
  const seen = new Set<unknown>(others.map((other) => other[field]).filter((value) => value !== undefined));
  for (const [i, entry] of entries.entries()) {
    const value = entry[field];
    if (value === undefined) continue;
    if (seen.has(value)) {
      throw new ConfigError(
        `${list}[${i}].${field}`,
        `duplicate ${field} ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`,
      );
    }
    seen.add(value);
  }
}

/** `HOST:PORT` (IPv6 in brackets) → parts, or undefined when malformed. */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):([0-9]{1,5})$/.exec(text);
  if (match === null) return undefined;
  const port = Number(match[2]);
  if (port > 65535) return undefined;
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}
