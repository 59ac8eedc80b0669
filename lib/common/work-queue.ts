/**
 * A queue of asynchronous jobs run with bounded concurrency, where a job may add more jobs (a
 * directory walk adds the directories it finds). Each job runs after an `await`, so the caller's
 * synchronous work per event-loop turn is one job's, however large the whole walk is.
 */

/** Adds a job to the queue that is being drained. */
export type Enqueue<T> = (item: T) => void;

/**
 * Runs `job` on every item of `initial` and on every item the jobs enqueue, at most `concurrency`
 * at once; resolves when none is left. A job that rejects rejects the whole drain (jobs already
 * running finish on their own; nothing new starts).
 */
export function drainQueue<T>(
  initial: readonly T[],
  concurrency: number,
  job: (item: T, enqueue: Enqueue<T>) => Promise<void>,
): Promise<void> {
  const queue = [...initial];
  let running = 0;
  let failed = false;
  return new Promise<void>((resolve, reject) => {
    const enqueue: Enqueue<T> = (item) => queue.push(item);
    const pump = (): void => {
      while (!failed && running < concurrency && queue.length > 0) {
        running++;
        job(queue.pop()!, enqueue).then(
          () => {
            running--;
            pump();
          },
          (error: unknown) => {
            failed = true;
            reject(error);
          },
        );
      }
      if (!failed && running === 0 && queue.length === 0) resolve();
    };
    pump();
  });
}
