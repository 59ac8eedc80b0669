/**
 * A bound on how fast one client makes new pins. About one valid pseudo-version exists per commit
 * and ancestor tag, so anyone who may read a project could otherwise grow the pin record without
 * end. Each client (a token name, else the client's address) has a bucket of `perMinute` new pins
 * that refills at `perMinute` a minute; past it a new pin is refused with 429 and `Retry-After`.
 * Serving a pinned version, or adding the zip hash to a pin, costs nothing.
 *
 * The buckets are bounded: past `MAX_CLIENTS` the least recently seen client is forgotten (it
 * starts again with a full bucket, which errs on the generous side).
 */
import { ProxyError } from '../common/errors.ts';

/** New pins a client may make in a minute (and at once) unless configured. */
export const DEFAULT_NEW_PINS_PER_MINUTE = 1000;

/** Most clients whose buckets are kept. */
const MAX_CLIENTS = 10_000;

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

export class NewPinLimit {
  readonly #perMinute: number;
  readonly #now: () => number;
  /** By client, least recently seen first. */
  readonly #buckets = new Map<string, Bucket>();
  #refused = 0;

  constructor(perMinute: number = DEFAULT_NEW_PINS_PER_MINUTE, now: () => number = Date.now) {
    this.#perMinute = perMinute;
    this.#now = now;
  }

  /** New pins refused so far: for `/metrics`. */
  get refused(): number {
    return this.#refused;
  }

  /** Takes one new pin from `client`'s bucket; throws a `rate-limited` `ProxyError` (429, `Retry-After`) when it is empty. */
  take(client: string): void {
    const now = this.#now();
    const bucket = this.#bucket(client, now);
    const perMs = this.#perMinute / 60_000;
    bucket.tokens = Math.min(this.#perMinute, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    this.#refused++;
    const seconds = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
    throw new ProxyError(
      'rate-limited',
      `too many new versions pinned by this client: try again in ${seconds} s`,
      seconds,
    );
  }

  /** The client's bucket, moved to the most recently seen end. */
  #bucket(client: string, now: number): Bucket {
    const bucket = this.#buckets.get(client) ?? { tokens: this.#perMinute, at: now };
    this.#buckets.delete(client);
    this.#buckets.set(client, bucket);
    if (this.#buckets.size > MAX_CLIENTS) this.#buckets.delete(this.#buckets.keys().next().value!);
    return bucket;
  }
}
