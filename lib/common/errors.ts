/**
 * The one error type that crosses module boundaries on its way to a response.
 *
 * Anything that can fail because of what a client asked for throws a `ProxyError` with the HTTP
 * status to answer and a one-line, plain-text reason that is safe to show (it never holds a secret
 * or a server path). Any other exception is a bug and becomes a 500 with a generic body.
 */
export class ProxyError extends Error {
  readonly status: number;
  /** Extra response headers (`Allow` on 405, `Retry-After` on 503). */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(status: number, message: string, headers?: Record<string, string>) {
    super(message);
    this.name = 'ProxyError';
    this.status = status;
    this.headers = headers;
  }
}

/** 404: no such project, module, version or file; also what a caller without access sees. */
export const notFound = (reason: string): ProxyError => new ProxyError(404, `not found: ${reason}`);

/** 410: the go command treats it as "not found" too; used where a version existed but cannot be served. */
export const gone = (reason: string): ProxyError => new ProxyError(410, `gone: ${reason}`);

/** 400: the request itself is malformed (bad escape, invalid path or version syntax). */
export const badRequest = (reason: string): ProxyError => new ProxyError(400, `bad request: ${reason}`);

/** A bad option or config value: the message names the key (`config: projects[1].id: …`). */
export class ConfigError extends Error {
  constructor(key: string, message: string) {
    super(`config: ${key}: ${message}`);
    this.name = 'ConfigError';
  }
}
