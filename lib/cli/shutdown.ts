/**
 * Graceful shutdown of a serving process: stop accepting connections, let the responses under way
 * finish within a deadline, then cut what is left and kill the remaining git children, so that
 * nothing outlives the process.
 */
import type { Server } from 'node:http';
import { killAllChildren } from '../git/children.ts';
import type { Logger } from '../common/log.ts';

/** Default time in-flight responses get to finish. */
export const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 30;

/** How often idle keep-alive connections are closed while draining (they would hold `close()` open). */
const IDLE_SWEEP_MS = 100;

/** What a shutdown stops: the listening server and whatever owns long-lived resources (the handler). */
export interface Stoppable {
  readonly server: Server;
  close(): Promise<void>;
}

/** How a shutdown went. */
export interface ShutdownResult {
  /** The deadline passed with responses still under way: they were cut off. */
  readonly forced: boolean;
}

/**
 * Stops `target.server` from accepting, waits up to `deadlineMs` for open connections to finish
 * their responses (idle keep-alive connections are closed as soon as they are idle), then closes
 * every connection left, closes `target`, and kills every git child still alive.
 */
export async function gracefulShutdown(target: Stoppable, deadlineMs: number, logger: Logger): Promise<ShutdownResult> {
  const { server } = target;
  const drained = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), deadlineMs);
  });
  const outcome = await Promise.race([drained.then(() => 'drained' as const), deadline]);
  clearInterval(sweep);
  clearTimeout(timer);
  const forced = outcome === 'deadline';
  if (forced) {
    logger.warn('shutdown deadline passed: closing the connections still open', { deadlineMs });
    server.closeAllConnections();
    await killAllChildren();
  }
  await target.close();
  await killAllChildren();
  return { forced };
}

/**
 * Runs `stop` on the first of `signals`; a second signal while stopping exits at once (after
 * killing git children), for an operator who does not want to wait.
 */
export function stopOnSignals(
  stop: () => Promise<void>,
  logger: Logger,
  signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn('second signal: exiting now', { signal });
      killAllChildren().finally(() => process.exit(1));
      return;
    }
    stopping = true;
    logger.info('shutting down', { signal, pid: process.pid });
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
}
