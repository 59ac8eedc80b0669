/**
 * Who is asking, and may they read a project?
 *
 * Credentials are accepted in every form GitLab's Go proxy API accepts (GitLab's
 * `lib/api/go_proxy.rb`), plus the two GitLab refuses there: `Private-Token`, `Job-Token` and
 * `Deploy-Token` headers, `Authorization: Bearer <token>`, and `Authorization: Basic <user:token>`
 * with any user name (what the go command sends from .netrc, Go 1.19 `cmd/go/internal/auth/netrc.go`).
 * A token is looked up by the SHA-256 of the secret, compared in constant time against every
 * configured hash. A presented credential that is malformed, unknown or expired makes the caller
 * anonymous (and is logged), never an error status: the answer must not tell a wrong token from a
 * missing project.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Grant } from './grants.ts';
import { compileGrant } from './grants.ts';
import { type Logger, logger } from '../common/log.ts';
import { clientOf, type ClientRequest, TrustedProxies } from './client-address.ts';

/**
 * Who may read a project without a token that grants it: `public` anyone, `private` no one, `local`
 * only clients on this machine (client-address.ts says which requests come from one).
 */
export type Visibility = 'public' | 'private' | 'local';
/** An access token: only the SHA-256 of its secret is stored (`node lib/server.js token create`). */
export interface TokenConfig {
  /** Unique name, shown in logs and used by `token revoke`. */
  name: string;
  /** SHA-256 of the secret, lower-case hex. */
  sha256: string;
  /** Project path globs it grants read access to: `group/app`, `group/*`, `group/**`, `**`. */
  grants: string[];
  /** When it stops working: a date (`2025-12-31`, start of that day UTC) or a timestamp with offset. */
  expires?: string;
}

/** The identity a request acts as. */
export interface Caller {
  /** Name of the token that authenticated the request; undefined when anonymous. */
  readonly tokenName: string | undefined;
  /** What the token grants (empty when anonymous). */
  readonly grants: readonly Grant[];
  /** The client's address: the socket's peer, or the client a trusted proxy names. */
  readonly address: string;
  /** A client on this machine (client-address.ts): it may read `local` projects. */
  readonly local: boolean;
  /** Who per-client bounds count the caller as without a token: its address, an IPv6 one by its /64. */
  readonly addressKey: string;
}

/** What `authenticate` needs of a request. */
export type CallerRequest = ClientRequest;

export type AuthFailureReason = 'malformed credentials' | 'unknown token' | 'expired token';

/** The caller, and why presented credentials did not count (undefined when none were presented or they were good). */
export interface Authentication {
  readonly caller: Caller;
  readonly failure: { readonly reason: AuthFailureReason; readonly tokenName: string | undefined } | undefined;
}

/** A denied or failed-auth request, as logged: the token's name, never its secret. */
export type AuthEvent =
  | {
    readonly event: 'auth failed';
    readonly reason: AuthFailureReason;
    readonly token: string | undefined;
    readonly client: string;
  }
  | {
    readonly event: 'access denied';
    readonly project: string;
    readonly token: string | undefined;
    readonly client: string;
  };

/** Headers that carry the token itself, in the order they are looked at. */
const TOKEN_HEADERS = ['private-token', 'job-token', 'deploy-token'] as const;

interface StoredToken {
  readonly name: string;
  readonly digest: Buffer;
  readonly grants: readonly Grant[];
  /** Milliseconds since the epoch from which the token no longer works. */
  readonly expiresAt: number | undefined;
}

/** The configured tokens and trusted proxies; turns a request's credentials and origin into a `Caller`. */
export class TokenStore {
  readonly #tokens: readonly StoredToken[];
  readonly #now: () => number;
  readonly #proxies: TrustedProxies;

  /** `now` is the clock for expiry (milliseconds since the epoch); `proxies` the reverse proxies whose client address is believed. */
  constructor(tokens: readonly TokenConfig[], now: () => number = Date.now, proxies = new TrustedProxies()) {
    this.#proxies = proxies;
    this.#tokens = tokens.map((token) => ({
      name: token.name,
      digest: Buffer.from(token.sha256, 'hex'),
      grants: token.grants.map(compileGrant),
      expiresAt: token.expires === undefined ? undefined : parseExpiry(token.expires),
    }));
    this.#now = now;
  }

  authenticate(request: CallerRequest): Authentication {
    const base = clientOf(request, this.#proxies);
    const anonymous: Caller = { tokenName: undefined, grants: [], ...base };
    const presented = presentedSecret(request.headers);
    if (presented === undefined) return { caller: anonymous, failure: undefined };
    if (presented.secret === undefined) {
      return { caller: anonymous, failure: { reason: 'malformed credentials', tokenName: undefined } };
    }
    const token = this.#find(presented.secret);
    if (token === undefined) return { caller: anonymous, failure: { reason: 'unknown token', tokenName: undefined } };
    if (token.expiresAt !== undefined && this.#now() >= token.expiresAt) {
      return { caller: anonymous, failure: { reason: 'expired token', tokenName: token.name } };
    }
    return { caller: { tokenName: token.name, grants: token.grants, ...base }, failure: undefined };
  }

  #find(secret: string): StoredToken | undefined {
    return findByDigest(this.#tokens, createHash('sha256').update(secret, 'utf8').digest());
  }
}

/**
 * The first entry whose digest equals `digest`. Every entry is compared, in constant time
 * (`equal`), so the time taken says nothing about which one matches or how much of a hash is right.
 */
export function findByDigest<T extends { readonly digest: Buffer }>(
  entries: readonly T[],
  digest: Buffer,
  equal: (a: Buffer, b: Buffer) => boolean = timingSafeEqual,
): T | undefined {
  let found: T | undefined;
  for (const entry of entries) {
    if (equal(digest, entry.digest) && found === undefined) found = entry;
  }
  return found;
}

/** Whether the caller may read the project (and so learn that it exists). */
export function mayRead(
  caller: Caller,
  project: { readonly fullPath: string; readonly visibility: Visibility },
): boolean {
  switch (project.visibility) {
    case 'public':
      return true;
    case 'local':
      return caller.local || isGranted(caller, project.fullPath);
    case 'private':
      return isGranted(caller, project.fullPath);
  }
}

function isGranted(caller: Caller, fullPath: string): boolean {
  return caller.grants.some((grant) => grant.matches(fullPath));
}

/** The SHA-256 of a token secret, as stored in the config file (lower-case hex). */
export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * When a token's `expires` ends it, in milliseconds since the epoch, or undefined when malformed. A
 * date alone (`2025-12-31`) ends the token at the start of that day, UTC, as GitLab's access tokens
 * do; a timestamp must carry its offset (`2025-12-31T18:00:00+01:00`).
 */
export function parseExpiry(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.exec(text);
  if (match === null) return undefined;
  const [, year, month, day] = match.map(Number);
  const calendarDay = new Date(Date.UTC(year, month - 1, day));
  // Date.parse rolls 2023-02-30 over to March: accept only days that exist.
  if (calendarDay.getUTCMonth() !== month - 1 || calendarDay.getUTCDate() !== day) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

/** The one place auth events leave the process: a warning line of the structured log. */
export function logAuthEvent(event: AuthEvent, log: Logger = logger): void {
  const { event: msg, ...fields } = event;
  log.warn(msg, fields);
}

/**
 * The secret a request presents: undefined when none; `{ secret: undefined }` when an
 * Authorization header is there but not a usable Basic or Bearer credential.
 */
function presentedSecret(headers: IncomingHttpHeaders): { readonly secret: string | undefined } | undefined {
  for (const name of TOKEN_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') return { secret: value === '' ? undefined : value };
  }
  const authorization = headers.authorization;
  if (authorization === undefined) return undefined;
  return { secret: secretFromAuthorization(authorization) };
}

function secretFromAuthorization(value: string): string | undefined {
  const space = value.indexOf(' ');
  const scheme = value.slice(0, space).toLowerCase();
  const credentials = value.slice(space + 1).trim();
  if (space < 0 || credentials === '') return undefined;
  if (scheme === 'bearer') return credentials;
  if (scheme !== 'basic' || !/^[A-Za-z0-9+/]+={0,2}$/.test(credentials)) return undefined;
  // The user name is ignored: GitLab users write any name (or gitlab-ci-token) into .netrc.
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  return password === '' ? undefined : password;
}
