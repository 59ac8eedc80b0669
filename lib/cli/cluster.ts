/**
 * `--workers N`: N serving processes sharing one listening port through `node:cluster`, for
 * machines with more cores than one event loop can use. The primary serves nothing itself: it
 * starts the workers (each runs the same command line and reads the same config), restarts one
 * that dies, and on SIGTERM/SIGINT passes SIGTERM on and waits for each worker's graceful
 * shutdown; SIGHUP (reload the config, rescan the repositories: reload.ts) is passed on to every
 * listening worker, and each worker watches the config file itself. Workers share
 * nothing but the repositories on disk (and the pins file, whose appends are atomic lines), which
 * is what makes them interchangeable.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../common/log.ts';

/** Least time between two restarts of workers that keep dying, so a crash loop does not spin. */
const RESTART_DELAY_MS = 1000;

/** True in a process that `runPrimary` started. */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** What the primary reports once the first worker listens. */
export type OnListening = (address: { host: string; port: number }) => void;

/**
 * Forks `workers` processes and keeps that many running until a signal; then forwards SIGTERM,
 * waits for all of them to exit, and exits. `shutdownTimeoutMs` bounds that wait (the workers'
 * own deadline plus a margin); workers still alive then are killed.
 */
export function runPrimary(workers: number, shutdownTimeoutMs: number, logger: Logger, onListening: OnListening): void {
  let stopping = false;
  let announced = false;
  const fork = (): Worker => cluster.fork();
  const listening = new Set<Worker>();
  cluster.on('listening', (worker, address) => {
    listening.add(worker);
    logger.info('worker listening', { worker: worker.id, pid: worker.process.pid, port: address.port });
    if (announced) return;
    announced = true;
    onListening({ host: address.address ?? '', port: address.port });
  });
  cluster.on('exit', (worker, code, signal) => {
    listening.delete(worker);
    if (stopping) return;
    logger.error('worker died: starting another', { worker: worker.id, pid: worker.process.pid, code, signal });
    setTimeout(fork, RESTART_DELAY_MS).unref();
  });
  for (let i = 0; i < workers; i++) fork();
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping workers', { signal, workers: Object.keys(cluster.workers ?? {}).length });
    stopWorkers(shutdownTimeoutMs, logger).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // SIGHUP asks for a config reload and a rescan of --repos: every worker keeps its own index. A worker that does not
  // listen yet is still in its first scan (and may not handle the signal yet).
  process.on('SIGHUP', () => {
    for (const worker of listening) worker.process.kill('SIGHUP');
  });
}

/** SIGTERM to every worker; resolves when all have exited, killing stragglers after `timeoutMs`. */
async function stopWorkers(timeoutMs: number, logger: Logger): Promise<void> {
  const alive = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker =>
    worker !== undefined && !worker.isDead()
  );
  const exits = alive.map((worker) => new Promise<void>((resolve) => worker.process.once('exit', () => resolve())));
  for (const worker of alive) worker.process.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const worker of alive) {
      if (worker.isDead()) continue;
      logger.warn('worker did not stop in time: killing it', { worker: worker.id, pid: worker.process.pid });
      worker.process.kill('SIGKILL');
    }
  }, timeoutMs);
  await Promise.all(exits);
  clearTimeout(timer);
}
