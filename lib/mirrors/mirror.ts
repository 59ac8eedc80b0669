/**
 * One mirror: its remote, its fetches and what they did.
 *
 * Fetches never overlap. A request while one runs joins the one that starts after it (many webhook
 * events during a fetch make one more fetch); across processes the fetch lock (fetch-lock.ts)
 * serializes them, and a request that another process's fetch has answered meanwhile (one that
 * started after the request was made, as the record says) does not fetch again. Every fetch holds a
 * slot of the mirror set's bound and is killed after its timeout.
 *
 * A failure keeps the last fetched state serving. It is counted, recorded, and logged when the
 * mirror goes from fetching fine to failing (not again until it has recovered, which is logged too).
 */
import type { Limiter } from '../git/limiter.ts';
import { GitError } from '../git/run.ts';
import type { Logger } from '../common/log.ts';
import { fetchAuth, type RemoteCredentials } from './credentials.ts';
import { fetchRemote, initMirror } from './fetch.ts';
import { lockMirror } from './fetch-lock.ts';
import { type MirrorRecord, NO_RECORD, readRecord, writeRecord } from './mirror-record.ts';
import { redact } from './remote-url.ts';

/** Where a mirror fetches from, and how often. */
export interface MirrorRemote {
  readonly url: string;
  readonly credentials: RemoteCredentials | undefined;
  /** Seconds between two fetches. */
  readonly fetchInterval: number;
  /** Seconds a fetch may take before it is killed. */
  readonly fetchTimeout: number;
}

/** What asked for a fetch, as logged. */
export type FetchTrigger = 'start' | 'interval' | 'webhook' | 'command';

/** What the mirror set shares with its mirrors. */
export interface MirrorContext {
  /** Bounds the fetches running at once over all mirrors. */
  readonly limiter: Limiter;
  readonly logger: Logger;
  /** Aborted on shutdown: a running fetch is killed, a waiting one gives up. */
  readonly stop: AbortSignal;
}

/** A mirror's state for `/metrics`, `check` and the `mirrors` command. */
export interface MirrorStatus {
  readonly path: string;
  readonly url: string;
  /** As recorded by whichever process fetched last. */
  readonly record: MirrorRecord;
  /** Fetches this process made, and how many of them failed. */
  readonly fetches: number;
  readonly failures: number;
  /** Duration of this process's last fetch, in seconds. */
  readonly lastFetchSeconds: number;
}

/** `Retry-After` of a mirror's answers until its first fetch has succeeded. */
export const NOT_FETCHED_RETRY_SECONDS = 5;

export class Mirror {
  readonly path: string;
  readonly gitDir: string;
  readonly #context: MirrorContext;
  #remote: MirrorRemote;
  #record: MirrorRecord = NO_RECORD;
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  /** The latest request that the queued fetch answers (ms since the epoch). */
  #queuedSince = 0;
  #failing = false;
  #fetches = 0;
  #failures = 0;
  #lastFetchSeconds = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(path: string, gitDir: string, remote: MirrorRemote, context: MirrorContext) {
    this.path = path;
    this.gitDir = gitDir;
    this.#remote = remote;
    this.#context = context;
  }

  get remote(): MirrorRemote {
    return this.#remote;
  }

  /** Whether a fetch has ever succeeded (by any process). */
  get fetched(): boolean {
    return this.#record.lastSuccess !== undefined;
  }

  get status(): MirrorStatus {
    return {
      path: this.path,
      url: this.#remote.url,
      record: this.#record,
      fetches: this.#fetches,
      failures: this.#failures,
      lastFetchSeconds: this.#lastFetchSeconds,
    };
  }

  /** Reads the record and creates the bare repository when missing, so that the mirror can be served (empty) at once. */
  async load(): Promise<void> {
    this.#record = await readRecord(this.gitDir);
    // Another process may be creating it at the same moment: the first fetch creates it under the lock then.
    await initMirror(this.gitDir).catch(() => undefined);
  }

  /** Takes a changed remote; the next fetch uses it, and the interval restarts when it changed. */
  update(remote: MirrorRemote): void {
    const restart = this.#timer !== undefined && remote.fetchInterval !== this.#remote.fetchInterval;
    this.#remote = remote;
    if (restart) {
      this.stopTimer();
      this.startTimer();
    }
  }

  /**
   * Fetches now, or right after the fetch under way; resolves when a fetch that answers this
   * request has completed (successful or not: see `status`), never rejects.
   */
  fetch(trigger: FetchTrigger): Promise<void> {
    const since = Date.now();
    if (this.#queued !== undefined) {
      this.#queuedSince = since;
      return this.#queued;
    }
    if (this.#running === undefined) return this.#start(trigger, since);
    this.#queuedSince = since;
    this.#queued = this.#running.then(() => {
      this.#queued = undefined;
      return this.#start(trigger, this.#queuedSince);
    });
    return this.#queued;
  }

  /** Fetches every `fetchInterval` seconds, unless another process has fetched in the last half interval. */
  startTimer(): void {
    if (this.#timer !== undefined || this.#context.stop.aborted) return;
    this.#timer = setInterval(() => void this.#fetchOnInterval(), this.#remote.fetchInterval * 1000);
    this.#timer.unref();
  }

  /** Resolves when no fetch runs or waits. */
  async idle(): Promise<void> {
    while (this.#queued ?? this.#running) await (this.#queued ?? this.#running);
  }

  stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #fetchOnInterval(): Promise<void> {
    if (this.#running !== undefined || this.#queued !== undefined) return Promise.resolve();
    return this.#start('interval', Date.now() - (this.#remote.fetchInterval * 1000) / 2);
  }

  #start(trigger: FetchTrigger, since: number): Promise<void> {
    this.#running = this.#run(trigger, since).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(trigger: FetchTrigger, since: number): Promise<void> {
    const { stop } = this.#context;
    try {
      const release = await this.#context.limiter.acquire(stop);
      try {
        const unlock = await lockMirror(this.gitDir, stop);
        try {
          this.#record = await readRecord(this.gitDir);
          // Answered by a fetch that began after the request (another process's, or, for requests
          // made before the last fetch here got going, that one).
          if ((this.#record.lastSuccessStarted ?? -Infinity) > since) return;
          await this.#fetchLocked(trigger);
        } finally {
          await unlock();
        }
      } finally {
        release();
      }
    } catch (error) {
      if (stop.aborted) return; // shutting down: nothing to record
      this.#context.logger.error('mirror fetch failed', { mirror: this.path, error });
    }
  }

  /** One fetch under the lock: runs it, records and reports what it did. */
  async #fetchLocked(trigger: FetchTrigger): Promise<void> {
    const remote = this.#remote;
    const deadline = abortAfter(remote.fetchTimeout * 1000, this.#context.stop);
    const { signal } = deadline;
    const startedAt = Date.now();
    const started = performance.now();
    let secrets: readonly string[] = [];
    let failure: string | undefined;
    try {
      const auth = await fetchAuth(remote.credentials);
      secrets = auth.secrets;
      await initMirror(this.gitDir);
      await fetchRemote({ gitDir: this.gitDir, url: remote.url, auth, signal });
    } catch (error) {
      if (this.#context.stop.aborted) return;
      failure = redact(reasonOf(error, signal, remote.fetchTimeout), secrets);
    } finally {
      deadline.clear();
    }
    this.#lastFetchSeconds = (performance.now() - started) / 1000;
    this.#fetches++;
    const now = Date.now();
    this.#record = failure === undefined
      ? { lastSuccessStarted: startedAt, lastSuccess: now, lastAttempt: now, failuresInRow: 0 }
      : { ...this.#record, lastAttempt: now, lastError: failure, failuresInRow: this.#record.failuresInRow + 1 };
    await writeRecord(this.gitDir, this.#record);
    this.#report(trigger, failure);
  }

  #report(trigger: FetchTrigger, failure: string | undefined): void {
    const { logger } = this.#context;
    const ms = Math.round(this.#lastFetchSeconds * 1000);
    if (failure !== undefined) {
      this.#failures++;
      if (!this.#failing) {
        logger.error('mirror fetch failed: its last fetched state stays served', {
          mirror: this.path,
          trigger,
          error: failure,
        });
      }
      this.#failing = true;
      return;
    }
    if (this.#failing) logger.info('mirror fetch succeeded again', { mirror: this.path, trigger });
    this.#failing = false;
    logger.info('mirror fetched', { mirror: this.path, trigger, ms });
  }
}

/**
 * A signal that aborts after `ms` or when `stop` does, and the function that lets go of its timer
 * and listener. (Its own timer rather than `AbortSignal.any` of `AbortSignal.timeout`: with those,
 * a fetch from a remote that never answered was not cut off in a busy server under Node 20, likely
 * because the composed signal was collected while git still ran.)
 */
function abortAfter(ms: number, stop: AbortSignal): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  const timer = setTimeout(abort, ms);
  stop.addEventListener('abort', abort, { once: true });
  if (stop.aborted) abort();
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      stop.removeEventListener('abort', abort);
    },
  };
}

/** One line saying why a fetch failed: git's own first line, or that it ran out of time. */
function reasonOf(error: unknown, signal: AbortSignal, timeoutSeconds: number): string {
  if (signal.aborted) return `fetch timed out after ${timeoutSeconds} s`;
  if (error instanceof GitError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
