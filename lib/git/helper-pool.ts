/**
 * A bound on the long-lived git helpers (each repository's `cat-file --batch-command`, objects.ts)
 * across all repositories: at most `maxHelpers` run at once, however many repositories requests
 * have touched. Starting one past the bound stops the least recently used idle helper and takes its
 * place once it has exited; when every helper is busy, the start waits until one goes idle (busy
 * helpers answer on their own, so the wait is short and cannot deadlock).
 */
import { counterValue, gauge, type MetricsRegistry } from '../common/metrics.ts';

/** What the pool needs of a helper. */
export interface PooledHelper {
  /** Whether requests are waiting for its answers: a busy helper is never stopped to make room. */
  readonly busy: boolean;
  /** Stops the helper; its owner calls `release` once it has exited. */
  evict(): void;
}

export class HelperPool {
  readonly maxHelpers: number;
  /** Running helpers, least recently used first (a Set iterates in insertion order). */
  readonly #live = new Set<PooledHelper>();
  /** Helpers told to stop that have not exited yet. */
  readonly #evicting = new Set<PooledHelper>();
  /** Starts allowed that have not been `add`ed yet. */
  #reserved = 0;
  readonly #waiting: Array<() => void> = [];
  #evictions = 0;

  constructor(maxHelpers: number) {
    if (!Number.isInteger(maxHelpers) || maxHelpers < 1) {
      throw new RangeError(`maxHelpers must be a positive integer, not ${maxHelpers}`);
    }
    this.maxHelpers = maxHelpers;
  }

  /** Helpers running now (for `/metrics`). */
  get live(): number {
    return this.#live.size;
  }

  /** Helpers stopped so far to make room for another repository's (for `/metrics`). */
  get evictions(): number {
    return this.#evictions;
  }

  /** Starts waiting for a helper to go idle (for `/metrics`). */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Registers its series: helpers running, the bound, requests waiting, evictions. */
  registerMetrics(registry: MetricsRegistry): void {
    registry.register(() =>
      gauge(
        'git_goproxy_object_readers',
        'Long-lived git cat-file helpers running (one per recently used repository).',
        this.live,
      ) +
      gauge('git_goproxy_object_readers_max', 'Most cat-file helpers at once (maxObjectReaders).', this.maxHelpers) +
      gauge('git_goproxy_object_readers_waiting', 'Requests waiting for a cat-file helper to go idle.', this.waiting) +
      counterValue(
        'git_goproxy_object_reader_evictions_total',
        'cat-file helpers stopped to make room for another repository.',
        this.evictions,
      )
    );
  }

  /** Resolves when a helper may start; the caller then `add`s it, or `unreserve`s if it could not start. */
  async reserve(): Promise<void> {
    if (this.#live.size + this.#reserved < this.maxHelpers) {
      this.#reserved++;
      return;
    }
    const granted = new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#evictLeastRecentlyUsedIdle();
    await granted;
  }

  /** Gives back a reservation whose helper did not start. */
  unreserve(): void {
    this.#reserved--;
    this.#grantNext();
  }

  /** Counts a started helper (its reservation becomes the helper's place). */
  add(helper: PooledHelper): void {
    this.#reserved--;
    this.#live.add(helper);
  }

  /** Marks `helper` as the most recently used. */
  used(helper: PooledHelper): void {
    if (!this.#live.delete(helper)) return;
    this.#live.add(helper);
  }

  /** Tells the pool that `helper` has no request in flight: a start that waits takes its place. */
  idle(helper: PooledHelper): void {
    if (this.#waiting.length > this.#evicting.size && this.#live.has(helper) && !this.#evicting.has(helper)) {
      this.#evict(helper);
    }
  }

  /** Forgets a helper that has exited (idempotent); its place goes to a waiting start. */
  release(helper: PooledHelper): void {
    this.#evicting.delete(helper);
    if (!this.#live.delete(helper)) return;
    this.#grantNext();
  }

  #grantNext(): void {
    const next = this.#waiting.shift();
    if (next === undefined) return;
    this.#reserved++;
    next();
  }

  #evictLeastRecentlyUsedIdle(): void {
    for (const helper of this.#live) {
      if (!helper.busy && !this.#evicting.has(helper)) return this.#evict(helper);
    }
  }

  #evict(helper: PooledHelper): void {
    this.#evicting.add(helper);
    this.#evictions++;
    helper.evict();
  }
}
