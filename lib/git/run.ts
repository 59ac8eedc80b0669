/**
 * Starting git: a clean, fixed environment, `--git-dir` always explicit, arguments as an array
 * (never a shell string), every child registered in `children.ts`, short-lived commands bounded
 * by the limiter.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { terminate, trackChild } from './children.ts';
import { gitLimiter, type Limiter, type Release } from './limiter.ts';

/** A git command that failed: exit code (null when killed) and the first line git wrote to stderr. */
export class GitError extends Error {
  readonly exitCode: number | null;
  readonly stderrLine: string;

  constructor(command: string, exitCode: number | null, stderrLine: string) {
    const status = exitCode === null ? 'was killed' : `exited with ${exitCode}`;
    super(`git ${command} ${status}${stderrLine ? `: ${stderrLine}` : ''}`);
    this.name = 'GitError';
    this.exitCode = exitCode;
    this.stderrLine = stderrLine;
  }
}

/** Options for `runGit` and `spawnGit`. */
export interface GitRunOptions {
  /** Aborting kills the child (SIGTERM, then SIGKILL after a short grace). */
  signal?: AbortSignal;
  /** Written to the child's stdin, which is then closed. */
  input?: Uint8Array;
  /** `runGit` only: stdout beyond this many bytes kills the child and rejects. */
  maxBytes?: number;
  /** The limiter to take a slot from; default the shared `gitLimiter`. */
  limiter?: Limiter;
  /** A slot already taken from the limiter (`tryAcquire`): used instead of waiting for one. */
  slot?: Release;
  /** Variables added to the clean environment (`gitEnvironment`), e.g. a remote's credentials for `fetch`. */
  env?: Readonly<Record<string, string>>;
}

const GRACE_MS = 1000;

/**
 * The environment every git child runs with: nothing inherited from `GIT_*` (a stray GIT_DIR or
 * GIT_INDEX_FILE must not redirect us), no system or global config and no system attributes
 * (filter drivers there, e.g. git-lfs, would change what `git archive` emits and so the module
 * hash; the go command's reference hashes come from a plain config), C locale so stderr texts
 * are stable, no prompts, no pager, no replace refs, literal pathspecs (module directories are
 * paths, never patterns), and a glibc heap that is not trimmed after every free.
 */
export function gitEnvironment(inherited: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(inherited)) {
    if (!name.startsWith('GIT_') && !name.startsWith('LC_') && name !== 'LANG') env[name] = value;
  }
  return {
    ...env,
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_LITERAL_PATHSPECS: '1',
    GIT_OPTIONAL_LOCKS: '0',
    GIT_PAGER: 'cat',
    // glibc gives freed heap back to the kernel as soon as 128 KiB are free at its top; git archive
    // allocates and frees a deflate state per file, so it made a brk call pair per file and spent
    // most of its time in the kernel (7 s instead of 0.3 s for 10,000 small files, bench/run.ts).
    // Keeping 4 MiB of slack changes nothing in git's output.
    MALLOC_TOP_PAD_: String(4 << 20),
  };
}

const cleanEnvironment = gitEnvironment();

/**
 * Starts `git --git-dir=<gitDir> <args…>` without taking a limiter slot (for long-lived helpers
 * such as `cat-file --batch-command`). stdin and stdout are pipes, stderr is piped for errors.
 */
export function startGit(
  gitDir: string,
  args: readonly string[],
  signal?: AbortSignal,
  env?: Readonly<Record<string, string>>,
): ChildProcess {
  const child = spawn('git', ['--no-pager', `--git-dir=${gitDir}`, ...args], {
    env: env === undefined ? cleanEnvironment : { ...cleanEnvironment, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  trackChild(child);
  if (signal) {
    const onAbort = (): void => terminate(child, GRACE_MS);
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      child.once('exit', () => signal.removeEventListener('abort', onAbort));
    }
  }
  return child;
}

interface ChildFacts {
  command: string;
  stderr: { line: () => string };
}

const childFacts = new WeakMap<ChildProcess, ChildFacts>();

/**
 * Starts a git command for streaming once the limiter grants a slot; the slot is given back when
 * the child exits. stdout is a pipe for the caller to consume; stderr is drained here (its first
 * line is kept for `gitExit`), so the child never blocks on it.
 */
export async function spawnGit(
  gitDir: string,
  args: readonly string[],
  options: GitRunOptions = {},
): Promise<ChildProcess> {
  const release = options.slot ?? (await (options.limiter ?? gitLimiter).acquire(options.signal));
  let child: ChildProcess;
  try {
    child = startGit(gitDir, args, options.signal, options.env);
  } catch (error) {
    release();
    throw error;
  }
  child.once('exit', release);
  child.once('error', release);
  childFacts.set(child, { command: commandName(args), stderr: collectFirstLine(child) });
  writeInput(child, options.input);
  return child;
}

/**
 * Resolves when a child from `spawnGit` has exited with status 0 and its stdio is closed; rejects
 * with `GitError` (exit code and first stderr line) otherwise.
 */
export function gitExit(child: ChildProcess): Promise<void> {
  const facts = childFacts.get(child);
  return new Promise((resolve, reject) => {
    const settle = (): void => {
      if (child.exitCode === 0) resolve();
      else reject(new GitError(facts?.command ?? '', child.exitCode, facts?.stderr.line() ?? ''));
    };
    child.once('error', reject);
    if (child.stdout?.closed !== false && (child.exitCode !== null || child.signalCode !== null)) settle();
    else child.once('close', settle);
  });
}

/**
 * Runs a git command to completion and resolves with its stdout. Rejects with `GitError` on a
 * non-zero exit or when stdout exceeds `maxBytes`, and with the signal's reason when aborted.
 */
export async function runGit(gitDir: string, args: readonly string[], options: GitRunOptions = {}): Promise<Buffer> {
  const child = await spawnGit(gitDir, args, options);
  const chunks: Buffer[] = [];
  let length = 0;
  let overflow = false;
  child.stdout?.on('data', (chunk: Buffer) => {
    length += chunk.length;
    if (options.maxBytes !== undefined && length > options.maxBytes) {
      overflow = true;
      child.kill('SIGKILL');
      return;
    }
    chunks.push(chunk);
  });
  const exit = await gitExit(child).then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
  if (options.signal?.aborted) throw options.signal.reason;
  if (overflow) throw new GitError(commandName(args), null, `output larger than ${options.maxBytes} bytes`);
  if (exit) throw exit.error;
  return Buffer.concat(chunks, length);
}

/** The git subcommand in `args` (the first word that is not an option or an option's value). */
function commandName(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c') i++;
    else if (!args[i]?.startsWith('-')) return args[i] ?? '';
  }
  return '';
}

function collectFirstLine(child: ChildProcess): { line: () => string } {
  let text = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (text.length < 4096) text += chunk;
  });
  return { line: () => text.split('\n', 1)[0]?.trim() ?? '' };
}

function writeInput(child: ChildProcess, input: Uint8Array | undefined): void {
  if (!child.stdin) return;
  child.stdin.on('error', () => {
    // The child may exit before reading all its input; its exit status tells what went wrong.
  });
  if (input) child.stdin.end(input);
  else child.stdin.end();
}
