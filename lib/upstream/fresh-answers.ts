/**
 * The answers of an upstream that change (`list`, `@latest`, `.info` of a query such as `master`):
 * asked at most once per period (`upstreamListSeconds`) per path, concurrent requests sharing one
 * upstream request, and served stale while every upstream fails. Kept in memory, bounded by count
 * and bytes, least recently used out first; they last as long as the process.
 *
 * A "not found" from every upstream is passed on, never hidden by an older answer: the module (or
 * the query) is gone upstream. Any other failure with an earlier answer at hand serves that answer,
 * marked stale (the caller warns), and the upstream is asked again in the next period, not sooner.
 */
import { ImmutableCache } from '../common/immutable-cache.ts';
import { ProxyError } from '../common/errors.ts';

/** An answer, and whether it is an older one given because every upstream failed. */
export interface FreshAnswer {
  readonly body: Buffer;
  readonly stale: boolean;
}

export interface FreshAnswersOptions {
  /** Seconds an answer is used before the upstream is asked again. */
  readonly periodSeconds: number;
  /** Called once per period for each answer served stale, with the failure. */
  readonly onStale: (key: string, error: unknown) => void;
  /** The clock, in milliseconds; default `Date.now`. */
  readonly now?: () => number;
}

const MAX_ENTRIES = 10_000;
const MAX_BYTES = 32 << 20;

export class FreshAnswers {
  readonly #periodMs: number;
  readonly #onStale: FreshAnswersOptions['onStale'];
  readonly #now: () => number;
  /** This period's answers, keyed `<period> <key>`: single-flight, and one upstream request per period. */
  readonly #current = new ImmutableCache<FreshAnswer>({
    maxEntries: MAX_ENTRIES,
    maxWeight: MAX_BYTES,
    weigh: (answer) => answer.body.length,
  });
  /** The last answer an upstream gave for each key, for when they all fail. */
  readonly #lastGood = new ImmutableCache<Buffer>({
    maxEntries: MAX_ENTRIES,
    maxWeight: MAX_BYTES,
    weigh: (body) => body.length,
  });
  /** Answers served stale since start: for `/metrics`. */
  staleAnswers = 0;

  constructor(options: FreshAnswersOptions) {
    this.#periodMs = options.periodSeconds * 1000;
    this.#onStale = options.onStale;
    this.#now = options.now ?? Date.now;
  }

  /** The answer for `key`: this period's, else `fetch`ed now, else (every upstream failing) the last good one. */
  async get(key: string, fetch: () => Promise<Buffer>): Promise<FreshAnswer> {
    const period = Math.floor(this.#now() / this.#periodMs);
    const answer = await this.#current.get(`${period} ${key}`, async () => {
      try {
        const body = await fetch();
        this.#lastGood.set(key, body);
        return { body, stale: false };
      } catch (error) {
        const last = this.#lastGood.peek(key);
        if (last === undefined || !(error instanceof ProxyError) || error.kind !== 'upstream-failed') throw error;
        this.#onStale(key, error);
        return { body: last, stale: true };
      }
    });
    if (answer.stale) this.staleAnswers++;
    return answer;
  }
}
