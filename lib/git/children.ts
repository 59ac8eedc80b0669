/**
 * The one registry of every git child process this server has started, so that the server can
 * report how many are alive and kill them all on shutdown. Children leave the registry when
 * they exit. `/metrics` gets their run times by git subcommand and how many are alive
 * (`observeGitChildren`).
 */
import type { ChildProcess } from 'node:child_process';
import { gauge, type MetricsRegistry } from '../common/metrics.ts';

const liveChildren = new Set<ChildProcess>();
let startedChildren = 0;

/** Told of each tracked child when it exits, with its run time (`observeGitChildren`). */
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

/**
 * Registers the git children's series: run time by git subcommand (from now on) and live
 * processes. Returns the function that stops observing exits.
 */
export function observeGitChildren(registry: MetricsRegistry): () => void {
  const durations = registry.histogram(
    'git_goproxy_git_duration_seconds',
    'Run time of git child processes, by git subcommand.',
  );
  registry.register(() =>
    gauge(
      'git_goproxy_git_processes',
      'Live git child processes, long-lived object readers included.',
      liveChildCount(),
    )
  );
  return onChildExit((child, ms) => durations.observe({ command: gitSubcommand(child) }, ms / 1000));
}

/** `git --no-pager --git-dir=… -c k=v archive …` → `archive`. */
function gitSubcommand(child: ChildProcess): string {
  const args = child.spawnargs.slice(1);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c') i++;
    else if (!args[i]!.startsWith('-')) return args[i]!;
  }
  return 'unknown';
}
