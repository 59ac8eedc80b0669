/**
 * The one single-flight memo: a bounded cache for answers that cannot change while it lives (what a
 * commit id or a blob at a commit holds, what one snapshot of the refs answers, where a
 * repository's shadow is), where concurrent lookups of the same key share one computation. Least
 * recently used entries go first once the total weight (e.g. bytes) or the entry count is over its
 * bound. Failed computations, and values the `keep` option refuses, are not cached.
 */

/** Bounds of an `ImmutableCache`. */
export interface ImmutableCacheOptions<V> {
  /** Most entries kept. */
  readonly maxEntries: number;
  /** Most total weight kept; an entry heavier than this is returned but not kept. Default: `maxEntries`. */
  readonly maxWeight?: number;
  /** Weight of a value; default 1. */
  readonly weigh?: (value: V) => number;
  /** Whether a value may be kept (e.g. not "absent", when the object may appear later); default yes. */
  readonly keep?: (value: V) => boolean;
}

export class ImmutableCache<V> {
  readonly #options: ImmutableCacheOptions<V>;
  readonly #maxWeight: number;
  /** Settled values in recency order (a Map iterates in insertion order: first = least recent). */
  readonly #values = new Map<string, { value: V; weight: number }>();
  readonly #pending = new Map<string, Promise<V>>();
  #weight = 0;

  constructor(options: ImmutableCacheOptions<V>) {
    this.#options = options;
    this.#maxWeight = options.maxWeight ?? options.maxEntries;
  }

  /** Number of settled entries kept. */
  get size(): number {
    return this.#values.size;
  }

  /** The value for `key`: cached, being computed by an earlier caller, or computed now. */
  get(key: string, compute: () => Promise<V>): Promise<V> {
    const cached = this.#values.get(key);
    if (cached !== undefined) {
      this.#values.delete(key);
      this.#values.set(key, cached);
      return Promise.resolve(cached.value);
    }
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = compute().then(
        (value) => {
          this.#pending.delete(key);
          this.#keep(key, value);
          return value;
        },
        (error: unknown) => {
          this.#pending.delete(key);
          throw error;
        },
      );
      this.#pending.set(key, pending);
    }
    return pending;
  }

  /** The value kept for `key`, without computing one. */
  peek(key: string): V | undefined {
    return this.#values.get(key)?.value;
  }

  /**
   * Keeps `value` for `key` in place of what was kept: for a value that only becomes more complete
   * (a pin that gains its zip hash), or one learnt other than through `get`.
   */
  set(key: string, value: V): void {
    const kept = this.#values.get(key);
    if (kept !== undefined) {
      this.#values.delete(key);
      this.#weight -= kept.weight;
    }
    this.#keep(key, value);
  }

  #keep(key: string, value: V): void {
    if (this.#options.keep?.(value) === false) return;
    const weight = this.#options.weigh?.(value) ?? 1;
    if (weight > this.#maxWeight) return;
    this.#values.set(key, { value, weight });
    this.#weight += weight;
    for (const [oldest, entry] of this.#values) {
      if (this.#weight <= this.#maxWeight && this.#values.size <= this.#options.maxEntries) break;
      this.#values.delete(oldest);
      this.#weight -= entry.weight;
    }
  }
}
