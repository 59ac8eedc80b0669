/**
 * Checksum databases through the proxy (config `sumdbs`: name → URL), as the go command's proxy
 * protocol for them says (`cmd/go/internal/modfetch/sumdb.go`, design 25530 "Proxying a checksum
 * database"): `/sumdb/<name>/supported` answers 200 for a configured name, so the go command sends
 * that database's requests here and nowhere else; a name not configured is 404, and the go command
 * asks the database directly.
 *
 * - `/sumdb/<name>/latest` is passed through, never cached (it moves).
 * - `/sumdb/<name>/lookup/<module>@<version>` is cached (a record never changes); a private module
 *   path is refused with 403 and never sent, as Athens does for its NoSumPatterns.
 * - `/sumdb/<name>/tile/<H>/<L>/<N>` (and `/tile/<H>/data/<N>`) is cached when it is a full tile;
 *   a partial tile (`.p/<W>`) is passed through (a later full tile replaces it).
 */
import { badRequest, notFound, ProxyError } from '../common/errors.ts';
import { unescapePath, unescapeVersion } from '../modules/escape.ts';
import type { ZipCache } from '../zip/cache.ts';
import { cachedBytes } from './cached-bytes.ts';
import { UpstreamClient } from './client.ts';

/** One answer of a checksum database. */
export interface SumdbAnswer {
  readonly body: Buffer;
  readonly contentType: string;
  /** Whether it never changes (lookups, full tiles). */
  readonly immutable: boolean;
}

export interface SumdbProxyContext {
  /** The upstream cache, shared with the modules. */
  readonly cache: ZipCache;
  /** Whether a module path must not be looked up (logged and counted by the callee). */
  readonly isPrivate: (modulePath: string) => boolean;
  readonly cacheKey: (parts: readonly string[]) => string;
}

/** Largest answer taken from a database: a tile is 8 KiB, a lookup a few hundred bytes. */
const MAX_ANSWER_BYTES = 1 << 20;
/** `tile/H/L/NNN`, `tile/H/L/x001/NNN`, `tile/H/data/…`, optionally `.p/W` (golang.org/x/mod `sumdb/tlog` `Tile.Path`). */
const TILE = /^tile\/[0-9]+\/(?:[0-9]+|data)\/(?:x[0-9]{3}\/)*[0-9]{3}(\.p\/[0-9]+)?$/;

export class SumdbProxy {
  readonly #clients: ReadonlyMap<string, UpstreamClient>;
  readonly #context: SumdbProxyContext;

  constructor(databases: Readonly<Record<string, string>>, context: SumdbProxyContext) {
    this.#clients = new Map(
      Object.entries(databases).map(([name, url]) => [name, new UpstreamClient({ bases: [url] })]),
    );
    this.#context = context;
  }

  /** The names of the databases proxied. */
  get names(): string[] {
    return [...this.#clients.keys()];
  }

  /** The answer to `/sumdb/<path>` (`path` percent-decoded, without the leading `/sumdb/`). */
  async answer(path: string): Promise<SumdbAnswer> {
    const name = [...this.#clients.keys()].find((known) => path.startsWith(`${known}/`));
    if (name === undefined) throw notFound('this proxy does not proxy that checksum database');
    const client = this.#clients.get(name)!;
    const rest = path.slice(name.length + 1);
    if (rest === 'supported') {
      return { body: Buffer.alloc(0), contentType: 'text/plain; charset=utf-8', immutable: false };
    }
    if (rest === 'latest') return this.#fetch(client, rest);
    if (rest.startsWith('lookup/')) {
      this.#checkLookup(rest.slice('lookup/'.length));
      return this.#cached(client, name, rest);
    }
    const tile = TILE.exec(rest);
    if (tile === null) throw notFound(`no such checksum database path ${JSON.stringify(rest)}`);
    return tile[1] === undefined ? this.#cached(client, name, rest) : this.#fetch(client, rest);
  }

  close(): void {
    for (const client of this.#clients.values()) client.close();
  }

  /** Refuses a lookup of a private module path (403), and a malformed one (400). */
  #checkLookup(escaped: string): void {
    const at = escaped.lastIndexOf('@');
    const modulePath = at < 0 ? undefined : unescapePath(escaped.slice(0, at));
    const version = at < 0 ? undefined : unescapeVersion(escaped.slice(at + 1));
    if (modulePath === undefined || version === undefined) throw badRequest('expected lookup/<module>@<version>');
    if (this.#context.isPrivate(modulePath)) {
      throw new ProxyError(
        'forbidden',
        `forbidden: ${modulePath} is private here: it is never looked up in a checksum database`,
      );
    }
  }

  /** An answer that moves, asked every time. */
  async #fetch(client: UpstreamClient, rest: string): Promise<SumdbAnswer> {
    const body = await client.getBytes(rest, MAX_ANSWER_BYTES);
    return { body, contentType: contentTypeOf(rest), immutable: false };
  }

  /** An immutable answer, through the cache. */
  async #cached(client: UpstreamClient, name: string, rest: string): Promise<SumdbAnswer> {
    const key = this.#context.cacheKey([name, rest]);
    const body = await cachedBytes(
      this.#context.cache,
      key,
      (signal) => client.getBytes(rest, MAX_ANSWER_BYTES, signal),
    );
    return { body, contentType: contentTypeOf(rest), immutable: true };
  }
}

/** The content type of a database answer. */
function contentTypeOf(rest: string): string {
  return rest.startsWith('tile/') ? 'application/octet-stream' : 'text/plain; charset=utf-8';
}
