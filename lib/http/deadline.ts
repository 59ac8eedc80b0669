/**
 * Every answer has a deadline for the work behind it (file-system reads, git processes): a request
 * whose status line has not gone out `answerDeadline` seconds after it arrived gets `503` with
 * `Retry-After`, so a file system that stops answering (a hung NFS mount, a FIFO where a file was
 * expected) makes slow errors, never requests that hang for good. Work that has started sending (a
 * zip streaming) is not cut: the idle timeout bounds a stalled connection.
 *
 * The work itself cannot be taken back (a read blocked in libuv's thread pool returns when the
 * file system does), so it is counted as overdue until it settles, and `/-/health` fails while any
 * is: the instance is not healthy while its file system or git does not answer. The response is
 * closed when the 503 is sent, which kills a git process started for it; whatever the work tries
 * to write afterwards fails on the finished response and is dropped.
 */
import type { ServerResponse } from 'node:http';
import { ProxyError } from '../common/errors.ts';
import { counterValue, gauge, type MetricsRegistry } from '../common/metrics.ts';

/** Default `answerDeadline`, in seconds. */
export const DEFAULT_ANSWER_DEADLINE_SECONDS = 30;

/** What `/-/health` reads (and `/metrics` shows). */
export interface DeadlineStats {
  /** Answers refused with 503 because their work passed the deadline, since start. */
  readonly exceeded: number;
  /** Of those, the ones whose work has still not finished. */
  readonly overdue: number;
}

export class AnswerDeadline {
  readonly #ms: number;
  #exceeded = 0;
  #overdue = 0;

  constructor(seconds: number) {
    this.#ms = seconds * 1000;
  }

  get stats(): DeadlineStats {
    return { exceeded: this.#exceeded, overdue: this.#overdue };
  }

  /** Registers `git_goproxy_answers_past_deadline_total` and `git_goproxy_answers_overdue`. */
  registerMetrics(registry: MetricsRegistry): void {
    registry.register(() =>
      counterValue(
        'git_goproxy_answers_past_deadline_total',
        'Requests answered 503 because the file system or git did not answer within answerDeadline.',
        this.#exceeded,
      ) +
      gauge(
        'git_goproxy_answers_overdue',
        'Of those, the ones whose work still waits for the file system or git (then /-/health fails).',
        this.#overdue,
      )
    );
  }

  /**
   * Waits for `work`, the answer to `res`; throws an `unavailable` `ProxyError` (503) when it has
   * sent no status line within the deadline.
   */
  async run(res: ServerResponse, work: Promise<void>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), this.#ms);
    });
    try {
      // A response already under way when the deadline passes is left to finish.
      if ((await Promise.race([work.then(() => 'done' as const), expired])) === 'done' || res.headersSent) {
        return await work;
      }
    } finally {
      clearTimeout(timer);
    }
    this.#exceeded++;
    this.#overdue++;
    // The late work's writes fail on the finished response: dropped, as is its outcome.
    res.on('error', () => undefined);
    work.catch(() => undefined).finally(() => this.#overdue--);
    throw new ProxyError(
      'unavailable',
      `unavailable: the answer took longer than ${
        this.#ms / 1000
      } s (the file system or git is not answering), retry later`,
      1,
    );
  }
}
