/**
 * Runs the real command line (`lib/server.ts`) as a child process, under Node (`node`: the way the
 * calling test runs, see project.ts; `compiled`: `lib/server.js`, as users run it), under Deno (the
 * `deno` devDependency), or as an installed `git-goproxy` command, on an ephemeral loopback port;
 * collects its JSON log lines from stderr and stops it with a signal.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT, SERVER_ARGS } from './project.ts';

/** The Deno binary the `deno` npm package installs. */
export const DENO = fileURLToPath(new URL('../../node_modules/.bin/deno', import.meta.url));
const START_TIMEOUT_MS = 60_000;

/** An installed `git-goproxy` command (its path), run in `cwd`. */
export interface InstalledCommand {
  readonly command: string;
  readonly cwd: string;
}

export type Runtime = 'node' | 'deno' | 'compiled' | InstalledCommand;

const RUNTIME_ARGS: Record<Exclude<Runtime, InstalledCommand>, readonly string[]> = {
  node: SERVER_ARGS,
  deno: ['run', '-A', 'lib/server.ts'],
  compiled: ['lib/server.js'],
};

export interface CliServer {
  /** The `GOPROXY=` value the server printed (base path included). */
  readonly url: string;
  readonly child: ChildProcess;
  /** Every JSON line written to stderr so far, parsed. */
  logLines(): Array<Record<string, unknown>>;
  /** Sends `signal` (default SIGTERM) and resolves with how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `lib/server --listen 127.0.0.1:0 <args…>` and resolves once it prints its GOPROXY line. */
export async function startCliServer(
  args: readonly string[],
  runtime: Runtime = 'node',
  env: NodeJS.ProcessEnv = {},
): Promise<CliServer> {
  const { command, runtimeArgs, cwd } = typeof runtime === 'object'
    ? { ...runtime, runtimeArgs: [] }
    : { command: runtime === 'deno' ? DENO : process.execPath, runtimeArgs: RUNTIME_ARGS[runtime], cwd: PROJECT_ROOT };
  const child = spawn(command, [...runtimeArgs, '--listen', '127.0.0.1:0', ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal }))
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(`no GOPROXY line within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const check = (): void => {
      const match = /GOPROXY=([^\s,]+)/.exec(stdout);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      resolve(match[1]);
    };
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${command} ${runtimeArgs.join(' ')}: ${why}\nstdout: ${stdout}\nstderr: ${stderr}`));
    };
    child.stdout.on('data', check);
    exited.then(({ code, signal }) => fail(`exited (${code ?? signal}) before listening`));
  });
  return {
    url,
    child,
    logLines: () =>
      stderr
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** How a command-line run ended. */
export interface CliRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node lib/server <args…>` (a subcommand such as `pins` or `sum`) to completion, without
 * the caller's `GIT_GOPROXY_*` variables.
 */
export function runCli(args: readonly string[]): Promise<CliRun> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GIT_GOPROXY_')));
  const child = spawn(process.execPath, [...SERVER_ARGS, ...args], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}
