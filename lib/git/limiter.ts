/**
 * Bounds how many git processes run at once. Callers wait in a bounded FIFO queue; when the queue
 * is full they are turned away at once with a `GitBusyError` (a `busy` error that says when to retry)
 * instead of piling up work the machine cannot do.
 */
import { availableParallelism } from 'node:os';
import { ProxyError } from '../common/errors.ts';
import { gauge, type MetricsRegistry } from '../common/metrics.ts';

/** Thrown by `Limiter.acquire` when every slot is taken and the queue is full. */
export class GitBusyError extends ProxyError {
  constructor(retryAfterSeconds: number) {
    super('busy', 'busy: too many requests for git data, retry later', retryAfterSeconds);
    this.name = 'GitBusyError';
  }
}

/** Sizing of a `Limiter`. */
export interface LimiterOptions {
  /** Processes allowed to run at once; default: the number of CPUs the process may use. */
  concurrency?: number;
  /** Callers allowed to wait for a slot; default: 32 per slot. */
  queueLimit?: number;
  /** Seconds the busy error tells callers to wait before retrying; default 1. */
  retryAfterSeconds?: number;
}

/** Gives back the slot taken by `acquire`; calling it more than once has no further effect. */
export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
}

/** A counting semaphore with a bounded FIFO queue and abortable waits. */
export class Limiter {
  readonly concurrency: number;
  readonly queueLimit: number;
  readonly #retryAfterSeconds: number;
  readonly #queue: Waiter[] = [];
  #running = 0;

  constructor(options: LimiterOptions = {}) {
    this.concurrency = positiveInteger(options.concurrency ?? availableParallelism(), 'concurrency');
    this.queueLimit = nonNegativeInteger(options.queueLimit ?? this.concurrency * 32, 'queueLimit');
    this.#retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }

  /** Slots in use. */
  get running(): number {
    return this.#running;
  }

  /** Callers waiting for a slot. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Registers its gauges: slots, git commands holding one, and those waiting. */
  registerMetrics(registry: MetricsRegistry): void {
    registry.register(() =>
      gauge('git_goproxy_git_slots', 'git commands allowed to run at once (maxGit).', this.concurrency) +
      gauge('git_goproxy_git_running', 'git commands holding a slot of the limiter.', this.running) +
      gauge('git_goproxy_git_queued', 'git commands waiting for a slot of the limiter.', this.queued)
    );
  }

  /**
   * Resolves with a release function once a slot is free. Rejects with `GitBusyError` when the
   * queue is full, and with the signal's reason when `signal` aborts first (leaving the queue).
   */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#running < this.concurrency) return Promise.resolve(this.#take());
    if (this.#queue.length >= this.queueLimit) {
      return Promise.reject(new GitBusyError(this.#retryAfterSeconds));
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#queue.indexOf(waiter);
        if (index >= 0) this.#queue.splice(index, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /** A slot if one is free right now, without waiting (for work that is worth doing only then). */
  tryAcquire(): Release | undefined {
    return this.#running < this.concurrency ? this.#take() : undefined;
  }

  #take(): Release {
    this.#running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running--;
      this.#grantNext();
    };
  }

  #grantNext(): void {
    const next = this.#queue.shift();
    if (next) next.grant(this.#take());
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

function nonNegativeInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
  return value;
}

/** The limiter every git command goes through unless a caller passes its own. */
export const gitLimiter = new Limiter();
