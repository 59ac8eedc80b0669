/**
 * The one registry of every git child process this server has started, so that the server can
 * report how many are alive and kill them all on shutdown. Children leave the registry when
 * they exit.
 */
import type { ChildProcess } from 'node:child_process';

const liveChildren = new Set<ChildProcess>();
let startedChildren = 0;

/** Told of each tracked child when it exits, with its run time (http/metrics.ts). */
export type ChildExitListener = (child: ChildProcess, ms: number) => void;

const exitListeners = new Set<ChildExitListener>();

/** Calls `listener` whenever a tracked child exits; returns the function that stops it. */
export function onChildExit(listener: ChildExitListener): () => void {
  exitListeners.add(listener);
  return () => {
    exitListeners.delete(listener);
  };
}

/** Adds `child` to the registry until it exits (or fails to start). Returns `child`. */
export function trackChild(child: ChildProcess): ChildProcess {
  liveChildren.add(child);
  startedChildren++;
  const started = performance.now();
  const forget = (): void => {
    liveChildren.delete(child);
  };
  child.once('exit', () => {
    forget();
    for (const listener of exitListeners) listener(child, performance.now() - started);
  });
  child.once('error', forget);
  return child;
}

/** How many git children this process has started so far, alive or not (tests prove "no git for bad input"). */
export function startedChildCount(): number {
  return startedChildren;
}

/** How many git children are alive right now. */
export function liveChildCount(): number {
  return liveChildren.size;
}

/**
 * Kills every live git child (SIGKILL: git holds no state worth a clean exit here, it never
 * writes into a served repository) and resolves once all of them have exited.
 */
export async function killAllChildren(): Promise<void> {
  const exits = [...liveChildren].map((child) => waitForExit(child));
  for (const child of liveChildren) child.kill('SIGKILL');
  await Promise.all(exits);
}

/** Sends SIGTERM to `child`, then SIGKILL if it is still alive after `graceMs`. */
export function terminate(child: ChildProcess, graceMs = 1000): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  timer.unref();
  child.once('exit', () => clearTimeout(timer));
}

/** Resolves when `child` has exited (at once if it already has). */
export function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}
