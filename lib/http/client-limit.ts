/**
 * A bound on the responses of one kind that one client has under way at once: zip responses
 * (config `zipStreamsPerClient`) and web pages. A client is its token's name, else its address.
 * One past the bound is `429` with `Retry-After`, so that one client cannot take every git slot,
 * spool byte, connection or page derivation, whatever it does.
 */
import type { ServerResponse } from 'node:http';
import { ProxyError } from '../common/errors.ts';

/**
 * Web pages one client may have under way at once. A page waits for git and for facts derived once
 * per commit (a tree of 100,000 files, a 16 MiB go.mod): a browser opens a handful at a time.
 */
export const PAGE_VIEWS_PER_CLIENT = 8;

/** Seconds a refused client is told to wait. */
const RETRY_AFTER_SECONDS = 1;

/** The figures of a `ClientLimit`, for `/metrics`. */
export interface ClientLimitStats {
  /** The bound per client. */
  readonly perClient: number;
  /** Responses under way. */
  readonly streams: number;
  /** Requests refused with 429 since start. */
  readonly refused: number;
}

export class ClientLimit {
  readonly perClient: number;
  /** What is counted, plural: `zip downloads`, `page views`. */
  readonly #what: string;
  /** Client → responses it has under way; a client without any has no entry. */
  readonly #streams = new Map<string, number>();
  #total = 0;
  #refused = 0;

  constructor(perClient: number, what: string) {
    this.perClient = perClient;
    this.#what = what;
  }

  get stats(): ClientLimitStats {
    return { perClient: this.perClient, streams: this.#total, refused: this.#refused };
  }

  /**
   * Counts `res` as one of `client`'s responses until it closes; throws a `rate-limited`
   * `ProxyError` (429) when the client already has `perClient` under way.
   */
  enter(client: string, res: ServerResponse): void {
    const count = this.#streams.get(client) ?? 0;
    if (count >= this.perClient) {
      this.#refused++;
      throw new ProxyError(
        'rate-limited',
        `too many ${this.#what} at once from this client (at most ${this.perClient}), retry later`,
        RETRY_AFTER_SECONDS,
      );
    }
    this.#streams.set(client, count + 1);
    this.#total++;
    res.once('close', () => this.#leave(client));
  }

  #leave(client: string): void {
    const count = (this.#streams.get(client) ?? 1) - 1;
    if (count === 0) this.#streams.delete(client);
    else this.#streams.set(client, count);
    this.#total--;
  }
}
