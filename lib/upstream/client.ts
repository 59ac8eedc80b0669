/**
 * GET requests to a list of upstream base URLs (GOPROXY servers, or one checksum database), tried in
 * order with the go command's rule for a comma-separated GOPROXY (`cmd/go/internal/modfetch/proxy.go`):
 * the next base only after a 404 or 410; any other status, a network error or a timeout ends the
 * attempt with that failure (`upstream-failed`, a 502), so a broken first upstream is never taken
 * for "not found". 404/410 from every base is "not found", with the last base's one-line reason.
 *
 * What is sent is built here and nowhere else: the path, `User-Agent` and `Accept-Encoding:
 * identity`, and the Basic credentials written in a base URL by the operator (`https://user:pass@host`),
 * which go to that base's origin only, never across a redirect to another one. Nothing a client of
 * this proxy sent (its headers, its token) reaches an upstream. Redirects (3xx with `Location`) are
 * followed, at most five.
 */
import { Agent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { notFound, ProxyError } from '../common/errors.ts';

/** A 200 answer whose body is still to be read. */
export interface UpstreamBody {
  /** The URL that answered (after redirects), without credentials: for log lines. */
  readonly url: string;
  /** The body's length when the upstream sent one. */
  readonly length: number | undefined;
  readonly body: IncomingMessage;
}

export interface UpstreamClientOptions {
  /** Base URLs, tried in order (`https://proxy.golang.org`). */
  readonly bases: readonly string[];
  /** Milliseconds to wait for a connection and the response headers, and for each piece of the body. */
  readonly timeoutMs?: number;
}

const MAX_REDIRECTS = 5;
const DEFAULT_TIMEOUT_MS = 30_000;
/** Longest error body read for its reason. */
const MAX_REASON_BYTES = 1024;

/** An upstream that could not answer: a 502 with the reason. */
export const upstreamFailed = (reason: string): ProxyError =>
  new ProxyError('upstream-failed', `upstream failed: ${reason}`);

/** Upstream requests made, by outcome (a redirect followed is not counted again). */
export interface UpstreamRequestCounts {
  ok: number;
  notFound: number;
  failed: number;
}

export class UpstreamClient {
  /** For `/metrics`. */
  readonly counts: UpstreamRequestCounts = { ok: 0, notFound: 0, failed: 0 };
  readonly #bases: readonly URL[];
  readonly #timeoutMs: number;
  readonly #agents = {
    http: new Agent({ keepAlive: true, maxSockets: 64 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
  };

  constructor(options: UpstreamClientOptions) {
    this.#bases = options.bases.map((base) => new URL(base.endsWith('/') ? base : `${base}/`));
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The base URLs without credentials, for log lines and pages. */
  get bases(): string[] {
    return this.#bases.map(redact);
  }

  /**
   * GETs `path` (relative, already escaped: `golang.org/x/mod/@v/list`) from the first base that
   * has it. Rejects with `not-found` when every base answers 404 or 410, `upstream-failed` otherwise.
   */
  async get(path: string, signal?: AbortSignal): Promise<UpstreamBody> {
    let reason = 'no upstream has it';
    for (const base of this.#bases) {
      const url = new URL(path, base);
      const answer = await this.#follow(url, base, signal).catch((error: unknown) => {
        this.counts.failed++;
        throw error;
      });
      if ('body' in answer) {
        this.counts.ok++;
        return answer;
      }
      this.counts.notFound++;
      reason = answer.notFound;
    }
    throw notFound(reason);
  }

  /** `get`, the whole body read (at most `maxBytes`, else `upstream-failed`). */
  async getBytes(path: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
    const { url, body, length } = await this.get(path, signal);
    if (length !== undefined && length > maxBytes) {
      body.destroy();
      throw upstreamFailed(`${url}: answer of ${length} bytes is over ${maxBytes}`);
    }
    return readAll(body, maxBytes, url);
  }

  /** Stops the keep-alive connections. */
  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  /** One base: the 200 body, or the reason of its 404/410; throws on any other outcome. */
  async #follow(start: URL, base: URL, signal: AbortSignal | undefined): Promise<UpstreamBody | { notFound: string }> {
    let url = start;
    for (let redirects = 0;; redirects++) {
      const res = await this.#request(url, url.origin === base.origin, signal);
      const status = res.statusCode ?? 0;
      if (status === 200) {
        const length = res.headers['content-length'];
        return { url: redact(url), body: res, length: length === undefined ? undefined : Number(length) };
      }
      const location = res.headers.location;
      if (status >= 300 && status < 400 && location !== undefined && redirects < MAX_REDIRECTS) {
        res.resume();
        url = new URL(location, url);
        continue;
      }
      const text = (await readAll(res, MAX_REASON_BYTES, redact(url)).catch(() => Buffer.alloc(0))).toString('utf8');
      const line = text.split('\n')[0]!.trim().slice(0, 200);
      if (status === 404 || status === 410) return { notFound: line === '' ? `${redact(url)}: ${status}` : line };
      throw upstreamFailed(`${redact(url)}: ${status}${line === '' ? '' : ` ${line}`}`);
    }
  }

  #request(url: URL, withCredentials: boolean, signal: AbortSignal | undefined): Promise<IncomingMessage> {
    const https = url.protocol === 'https:';
    const request = https ? httpsRequest : httpRequest;
    const agent: Agent = https ? this.#agents.https : this.#agents.http;
    const auth = withCredentials && url.username !== ''
      ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
      : undefined;
    return new Promise((resolve, reject) => {
      const req = request(url, {
        agent,
        auth,
        headers: { 'User-Agent': 'git-goproxy', 'Accept-Encoding': 'identity' },
        signal,
        timeout: this.#timeoutMs,
      });
      req.on('response', (res) => {
        res.setTimeout(this.#timeoutMs, () => res.destroy(new Error(`no data for ${this.#timeoutMs} ms`)));
        resolve(res);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.#timeoutMs} ms`)));
      req.on('error', (error) => {
        reject(signal?.aborted === true ? error : upstreamFailed(`${redact(url)}: ${error.message}`));
      });
      req.end();
    });
  }
}

/** A URL as it may be logged and shown: without user name and password. */
function redact(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

/** The whole body, at most `maxBytes`; a body cut short or too long is `upstream-failed`. */
async function readAll(body: IncomingMessage, maxBytes: number, url: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > maxBytes) throw upstreamFailed(`${url}: answer over ${maxBytes} bytes`);
      chunks.push(chunk);
    }
  } catch (error) {
    body.destroy();
    if (error instanceof ProxyError) throw error;
    throw upstreamFailed(`${url}: ${(error as Error).message}`);
  }
  return Buffer.concat(chunks);
}
