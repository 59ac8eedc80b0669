/**
 * Push webhooks as GitHub, GitLab, Gitea and Forgejo send them: which sender signed the body with
 * the shared secret, what event it is, and which repository URLs it names.
 *
 * - GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, `X-GitHub-Event: push`
 *   (and `ping` when the hook is created); `repository.clone_url`, `repository.ssh_url`.
 * - Gitea and Forgejo: `X-Gitea-Signature` / `X-Forgejo-Signature: <hex HMAC-SHA256>`,
 *   `X-Gitea-Event` / `X-Forgejo-Event: push`; the same `repository` URLs.
 * - GitLab: `X-Gitlab-Token: <the secret itself>`, `X-Gitlab-Event: Push Hook` or `Tag Push Hook`
 *   (or a `System Hook` whose `event_name` is `push` or `tag_push`); `project.git_http_url`,
 *   `project.git_ssh_url`.
 *
 * Every comparison with the secret takes the same time whatever the guess (digests of equal length
 * compared with `timingSafeEqual`), and the body is verified before anything in it is read.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Request headers, lower-case names (as `node:http` gives them). */
export type HookHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** A verified webhook: a push (fetch its repositories), a ping (a host checking the hook), or an event that is not ours. */
export interface Hook {
  readonly kind: 'push' | 'ping' | 'other';
  /** The URLs the payload gives for its repository. */
  readonly urls: readonly string[];
}

/** Why a webhook is not taken. */
export type HookRefusal = 'unverified' | 'malformed';

/** What a verified webhook for mirrored repositories did: fetches started, or nothing (a ping, another event). */
export type HookOutcome =
  | { readonly kind: 'fetching'; readonly mirrors: number }
  | { readonly kind: 'pong' }
  | { readonly kind: 'ignored' };

/** The verified webhook in a request, or why there is none. */
export function readHook(headers: HookHeaders, body: Uint8Array, secret: string): Hook | HookRefusal {
  const sender = verifiedSender(headers, body, secret);
  if (sender === undefined) return 'unverified';
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return 'malformed';
  }
  if (!isObject(payload)) return 'malformed';
  return sender === 'gitlab' ? gitLabHook(headers, payload) : repositoryHook(sender, headers, payload);
}

type Sender = 'github' | 'gitea' | 'forgejo' | 'gitlab';

/** The sender whose signature (or token) matches, checking every one the request carries. */
function verifiedSender(headers: HookHeaders, body: Uint8Array, secret: string): Sender | undefined {
  let sender: Sender | undefined;
  const github = header(headers, 'x-hub-signature-256');
  if (github !== undefined && github.startsWith('sha256=') && hmacMatches(github.slice(7), body, secret)) {
    sender = 'github';
  }
  for (const name of ['gitea', 'forgejo'] as const) {
    const signature = header(headers, `x-${name}-signature`);
    if (signature !== undefined && hmacMatches(signature, body, secret)) sender = name;
  }
  const token = header(headers, 'x-gitlab-token');
  if (token !== undefined && sameSecret(token, secret)) sender = 'gitlab';
  return sender;
}

/** Whether `hex` is the HMAC-SHA256 of `body` under `secret`, compared in constant time. */
function hmacMatches(hex: string, body: Uint8Array, secret: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
}

/** Whether a token is the secret, compared as SHA-256 digests (equal lengths, constant time). */
function sameSecret(token: string, secret: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(token), digest(secret));
}

function repositoryHook(
  sender: Exclude<Sender, 'gitlab'>,
  headers: HookHeaders,
  payload: Record<string, unknown>,
): Hook {
  const event = header(headers, sender === 'github' ? 'x-github-event' : `x-${sender}-event`);
  const repository = isObject(payload.repository) ? payload.repository : {};
  const urls = strings(repository.clone_url, repository.ssh_url);
  if (event === 'push') return { kind: 'push', urls };
  return { kind: event === 'ping' ? 'ping' : 'other', urls };
}

function gitLabHook(headers: HookHeaders, payload: Record<string, unknown>): Hook {
  const event = header(headers, 'x-gitlab-event');
  const project = isObject(payload.project) ? payload.project : {};
  const urls = strings(project.git_http_url, project.git_ssh_url);
  const push = event === 'Push Hook' || event === 'Tag Push Hook' ||
    (event === 'System Hook' && (payload.event_name === 'push' || payload.event_name === 'tag_push'));
  return { kind: push ? 'push' : 'other', urls };
}

function header(headers: HookHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function strings(...values: unknown[]): string[] {
  return values.filter((value): value is string => typeof value === 'string' && value !== '');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
