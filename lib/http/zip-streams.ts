/**
 * A bound on the zip responses one client has under way at once (config `zipStreamsPerClient`): a
 * client is its token's name, else its address. One past the bound is `429` with `Retry-After`, so
 * that one client cannot take every git slot, spool byte and connection, whatever it does.
 */
import type { ServerResponse } from 'node:http';
import { ProxyError } from '../common/errors.ts';

/** Seconds a refused client is told to wait. */
const RETRY_AFTER_SECONDS = 1;

/** The figures of a `ZipStreamLimit`, for `/metrics`. */
export interface ZipStreamStats {
  /** The bound per client. */
  readonly perClient: number;
  /** Zip responses under way. */
  readonly streams: number;
  /** Zip requests refused with 429 since start. */
  readonly refused: number;
}

export class ZipStreamLimit {
  readonly perClient: number;
  /** Client → zip responses it has under way; a client without any has no entry. */
  readonly #streams = new Map<string, number>();
  #total = 0;
  #refused = 0;

  constructor(perClient: number) {
    this.perClient = perClient;
  }

  get stats(): ZipStreamStats {
    return { perClient: this.perClient, streams: this.#total, refused: this.#refused };
  }

  /**
   * Counts `res` as one of `client`'s zip responses until it closes; throws a `rate-limited`
   * `ProxyError` (429) when the client already has `perClient` under way.
   */
  enter(client: string, res: ServerResponse): void {
    const count = this.#streams.get(client) ?? 0;
    if (count >= this.perClient) {
      this.#refused++;
      throw new ProxyError(
        'rate-limited',
        `too many zip downloads at once from this client (at most ${this.perClient}), retry later`,
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
