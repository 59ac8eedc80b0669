/** Polling for a condition in tests that watch processes, descriptors, files or a server's answers settle. */
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `condition` every 10 ms; resolves with the milliseconds it took, rejects after `limitMs` naming `what`. */
export async function within(
  limitMs: number,
  condition: () => boolean | Promise<boolean>,
  what: string,
): Promise<number> {
  const start = performance.now();
  while (!(await condition())) {
    if (performance.now() - start > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await sleep(10);
  }
  return performance.now() - start;
}

/** Like `within`, for a condition that must be awaited (an HTTP answer); polls every 20 ms. */
export async function eventually(limitMs: number, condition: () => Promise<boolean>, what: string): Promise<number> {
  const start = performance.now();
  while (!(await condition())) {
    if (performance.now() - start > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await sleep(20);
  }
  return performance.now() - start;
}
