/**
 * The one error type that crosses module boundaries on its way to a response.
 *
 * Anything that can fail because of what a client asked for throws a `ProxyError` with the kind of
 * failure and a one-line, plain-text reason that is safe to show (it never holds a secret or a
 * server path). The kind says what went wrong in the model's terms; only the HTTP layer, where the
 * response is written, turns it into a status and headers. Any other exception is a bug and becomes
 * a generic internal error.
 */

/** What went wrong, as the model sees it. */
export type ErrorKind =
  /** The request itself is malformed (bad escape, invalid path or version syntax). */
  | 'bad-request'
  /** No such project, module, version or file; also what a caller without access meets. */
  | 'not-found'
  /** The version existed but cannot be served; the go command treats it as not found too. */
  | 'gone'
  /** Too much work is queued; the caller may retry after `retryAfterSeconds`. */
  | 'busy'
  /** The machine is out of processes, descriptors or memory for now; the caller may retry after `retryAfterSeconds`. */
  | 'unavailable'
  /** This caller asked for too much of something bounded per caller (new pins); it may retry after `retryAfterSeconds`. */
  | 'rate-limited'
  /** The version's content differs from what was served before; refusing it is the server's fault, not the caller's. */
  | 'content-changed'
  /** The request used a method other than GET or HEAD. */
  | 'method-not-allowed'
  /** The requested byte range lies beyond the end of the body. */
  | 'range-not-satisfiable'
  /** A request that must be signed (a push webhook) is not, or not with the secret. */
  | 'unauthorized'
  /** The request's body is larger than the endpoint takes. */
  | 'too-large'
  /** An upstream proxy or checksum database failed (unreachable, an error status, a cut or malformed answer). */
  | 'upstream-failed'
  /**
   * The request may not go where it would have to (a private module path asked of a checksum
   * database), or is refused for how it was sent (a browser's own credentials for another site's page).
   */
  | 'forbidden';

export class ProxyError extends Error {
  readonly kind: ErrorKind;
  /** For `busy` and `rate-limited`: how long the caller should wait before retrying. */
  readonly retryAfterSeconds: number | undefined;

  constructor(kind: ErrorKind, message: string, retryAfterSeconds?: number) {
    // An answer, not a bug: no stack trace is ever shown or logged for it, and capturing one is most
    // of what a 404 costs (a flood of unknown modules makes thousands a second).
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'ProxyError';
    this.kind = kind;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** No such project, module, version or file; also what a caller without access sees. */
export const notFound = (reason: string): ProxyError => new ProxyError('not-found', `not found: ${reason}`);

/** A version that existed but cannot be served. */
export const gone = (reason: string): ProxyError => new ProxyError('gone', `gone: ${reason}`);

/** The request itself is malformed (bad escape, invalid path or version syntax). */
export const badRequest = (reason: string): ProxyError => new ProxyError('bad-request', `bad request: ${reason}`);

/** The machine is out of processes, descriptors or memory for now; the go command retries. */
export const unavailable = (reason: string): ProxyError =>
  new ProxyError('unavailable', `unavailable: ${reason}, retry later`, 1);

/** errno codes of a machine that has run out of processes, descriptors or memory: a passing state, not an answer. */
const EXHAUSTION_CODES = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM']);

/**
 * Whether `error` is the system refusing a new process, pipe or open file for want of resources
 * (EMFILE, ENFILE, EAGAIN, ENOMEM): it says nothing about what was asked for, so it must become a
 * 503, never a "not found".
 */
export function isResourceExhaustion(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && EXHAUSTION_CODES.has(code);
}

/** Whether `error` says a file or directory is not there (ENOENT, ENOTDIR), as opposed to unreadable now. */
export function isAbsence(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A bad option or config value: the message names the key (`config: projects[1].id: …`). */
export class ConfigError extends Error {
  constructor(key: string, message: string) {
    super(`config: ${key}: ${message}`);
    this.name = 'ConfigError';
  }
}
