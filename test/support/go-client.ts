/**
 * Runs the real `go` command for end-to-end tests, through our proxy or in direct (VCS) mode.
 *
 * Every call gets an isolated environment built from scratch (only PATH is inherited): its own HOME
 * (so no ~/.netrc or ~/.gitconfig leaks in), GOENV=off, fresh GOPATH/GOMODCACHE/GOCACHE unless a
 * cache dir is passed, GOFLAGS=-modcacherw so the module cache can be deleted, GOSUMDB=off, no
 * GOTOOLCHAIN, and GOPROXY/GOPRIVATE/GOINSECURE as the mode requires. Runs are killed (with their git
 * children) after a timeout. Results carry the exit code, stdout and stderr, so tests can assert
 * failures as well as successes.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeDir } from './temp.ts';

/** Host of module paths fetched in direct mode (`direct.test/<group>/<name>`): see direct-oracle.ts. */
export const DIRECT_HOST = 'direct.test';

/**
 * Fetch through a GOPROXY base URL, or directly from the repositories (GOPROXY=direct) with the
 * go-get lookups sent to a direct-mode oracle (`direct`: its host proxy's HTTP_PROXY and HTTPS_PROXY).
 */
export type GoMode = { readonly proxy: string } | { readonly direct: Readonly<Record<string, string>> };

/** Per-call settings. */
export interface GoOptions {
  /** Keep GOPATH, GOMODCACHE and GOCACHE under this dir (not removed) instead of a fresh temp dir. */
  readonly cacheDir?: string;
  /** Pass `-x`, so stderr shows every proxy request and git command. */
  readonly trace?: boolean;
  /** Kill go and its children after this many milliseconds; default 60 000. */
  readonly timeoutMs?: number;
  /** More environment, e.g. `SSL_CERT_FILE` for a test CA or `NETRC`. */
  readonly env?: Readonly<Record<string, string>>;
}

/** How one go invocation ended. */
export interface GoRun {
  /** Exit status; `null` when it was killed. */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the timeout killed it. */
  readonly timedOut: boolean;
}

/** Where direct mode got a version from (cmd/go/internal/modfetch/codehost `Origin`, Go 1.19+). */
export interface VcsOrigin {
  readonly VCS?: string;
  readonly URL?: string;
  readonly Ref?: string;
  readonly Hash?: string;
  readonly TagSum?: string;
  readonly RepoSum?: string;
}

/** One object of `go mod download -json` (cmd/go/internal/modcmd/download.go `moduleJSON`). */
export interface DownloadedModule {
  readonly Path: string;
  readonly Version?: string;
  readonly Query?: string;
  readonly Error?: string;
  readonly Info?: string;
  readonly GoMod?: string;
  readonly Zip?: string;
  readonly Dir?: string;
  readonly Sum?: string;
  readonly GoModSum?: string;
  readonly Origin?: VcsOrigin;
}

/** `go list -m -json` output (cmd/go/internal/modinfo `ModulePublic`, the fields tests use). */
export interface ListedModule {
  readonly Path: string;
  readonly Version?: string;
  readonly Versions?: readonly string[];
  readonly Time?: string;
  readonly GoMod?: string;
  readonly Retracted?: readonly string[];
  readonly Deprecated?: string;
  readonly GoVersion?: string;
  readonly Origin?: VcsOrigin;
  readonly Error?: { readonly Err: string };
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * `go mod download -json <target>` (target `module@query`). `json` is the printed object, present
 * on failure too (with `Error`). The `Info`/`Zip`/`Dir` files are deleted after the call unless
 * `options.cacheDir` is given.
 */
export async function goModDownload(
  target: string,
  mode: GoMode,
  options: GoOptions = {},
): Promise<GoRun & { readonly json: DownloadedModule | undefined }> {
  const run = await withGoSession(
    mode,
    options,
    (session) => session.run(['mod', 'download', ...traceFlag(options), '-json', target]),
  );
  return { ...run, json: parseJson<DownloadedModule>(run.stdout) };
}

/**
 * `go mod download -json <target…>`: one go command for many `module@query` targets, each answered
 * by its own object in `json` (in target order; a failed one carries `Error`, and its `Version` is
 * the query). The go command resolves and downloads them as it would one by one
 * (cmd/go/internal/modcmd/download.go: one `modload.ListModules` entry per argument).
 */
export async function goModDownloadAll(
  targets: readonly string[],
  mode: GoMode,
  options: GoOptions = {},
): Promise<GoRun & { readonly json: readonly DownloadedModule[] }> {
  const run = await withGoSession(
    mode,
    options,
    (session) => session.run(['mod', 'download', ...traceFlag(options), '-json', ...targets]),
  );
  return { ...run, json: parseJsonStream<DownloadedModule>(run.stdout) };
}

/**
 * `go list -m -e -json [-versions] <arg…>`: one go command for many modules (`-versions`) or
 * `module@query` arguments, each answered by its own object (a failed one with `Error`).
 */
export async function goListAll(
  args: readonly string[],
  mode: GoMode,
  options: GoOptions & { readonly versions?: boolean } = {},
): Promise<GoRun & { readonly json: readonly ListedModule[] }> {
  const versions = options.versions ? ['-versions'] : [];
  const run = await withGoSession(
    mode,
    options,
    (session) => session.run(['list', ...traceFlag(options), '-m', '-e', '-json', ...versions, ...args]),
  );
  return { ...run, json: parseJsonStream<ListedModule>(run.stdout) };
}

/** `go list -m -versions -json <module>`: `versions` is the list (possibly empty), undefined on failure. */
export async function goListVersions(
  module: string,
  mode: GoMode,
  options: GoOptions = {},
): Promise<GoRun & { readonly versions: readonly string[] | undefined }> {
  const run = await withGoSession(
    mode,
    options,
    (session) => session.run(['list', ...traceFlag(options), '-m', '-versions', '-json', module]),
  );
  const listed = run.exitCode === 0 ? parseJson<ListedModule>(run.stdout) : undefined;
  return { ...run, versions: listed === undefined ? undefined : (listed.Versions ?? []) };
}

/** `go list -m -json <module>@latest`: `json` has the chosen `Version` and its `Time`. */
export async function goListLatest(
  module: string,
  mode: GoMode,
  options: GoOptions = {},
): Promise<GoRun & { readonly json: ListedModule | undefined }> {
  const run = await withGoSession(
    mode,
    options,
    (session) => session.run(['list', ...traceFlag(options), '-m', '-json', `${module}@latest`]),
  );
  return { ...run, json: run.exitCode === 0 ? parseJson<ListedModule>(run.stdout) : undefined };
}

/**
 * `go get <target>` in a scratch module (`go mod init example.com/scratch` first); returns the
 * scratch module's go.mod and go.sum afterwards (go.sum empty when none was written).
 */
export async function goGet(
  target: string,
  mode: GoMode,
  options: GoOptions = {},
): Promise<GoRun & { readonly goMod: string; readonly goSum: string }> {
  return withGoSession(mode, options, async (session) => {
    const init = await session.run(['mod', 'init', 'example.com/scratch']);
    if (init.exitCode !== 0) throw new Error(`go mod init failed: ${init.stderr.trim()}`);
    const run = await session.run(['get', ...traceFlag(options), target]);
    const goMod = await readFile(join(session.workDir, 'go.mod'), 'utf8');
    const goSum = await readFile(join(session.workDir, 'go.sum'), 'utf8').catch(() => '');
    return { ...run, goMod, goSum };
  });
}

/** A temp HOME and work dir (plus caches) for one or more go runs with the same environment. */
interface GoSession {
  /** Current directory of the runs: empty, so there is no main module until `go mod init`. */
  readonly workDir: string;
  run(args: readonly string[]): Promise<GoRun>;
}

async function withGoSession<T>(mode: GoMode, options: GoOptions, use: (session: GoSession) => Promise<T>): Promise<T> {
  const scratch = await makeTempDir('go');
  try {
    const cacheRoot = options.cacheDir ?? join(scratch, 'cache');
    const workDir = join(scratch, 'work');
    const home = join(scratch, 'home');
    await Promise.all([mkdir(workDir), mkdir(home), mkdir(cacheRoot, { recursive: true })]);
    const env = goEnv(mode, home, cacheRoot, options.env ?? {});
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return await use({ workDir, run: (args) => runGo(args, workDir, env, timeoutMs) });
  } finally {
    await removeDir(scratch);
  }
}

function goEnv(
  mode: GoMode,
  home: string,
  cacheRoot: string,
  extra: Readonly<Record<string, string>>,
): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GOENV: 'off',
    GO111MODULE: 'on',
    GOPATH: join(cacheRoot, 'gopath'),
    GOMODCACHE: join(cacheRoot, 'mod'),
    GOCACHE: join(cacheRoot, 'build'),
    GOFLAGS: '-modcacherw',
    GOSUMDB: 'off',
    // git run by go (direct mode) must not read the machine's /etc/gitconfig either.
    GIT_CONFIG_NOSYSTEM: '1',
    ...modeEnv(mode),
    ...extra,
  };
}

/**
 * Direct mode needs no GIT_ALLOW_PROTOCOL for the oracle's `git://` roots: in module mode cmd/go
 * checks a go-import root only with `validateRepoRoot` (any scheme but file) and `CheckGOVCS` (git is
 * allowed for GOPRIVATE paths) — vcs.go `repoRootForImportDynamic`; `isSecureScheme` only matters to
 * GOPATH `go get` and to scheme pings. git itself allows `git://` by default; an inherited
 * GIT_ALLOW_PROTOCOL could forbid it, which is why the environment is built from scratch.
 * GOINSECURE lets the go-get lookup fall back to plain http (web/http.go `get`), which goes to the
 * oracle through HTTP_PROXY (the https attempt through HTTPS_PROXY is refused at once).
 */
function modeEnv(mode: GoMode): Record<string, string> {
  if ('proxy' in mode) return { GOPROXY: mode.proxy };
  return {
    GOPROXY: 'direct',
    GOPRIVATE: DIRECT_HOST,
    GONOSUMDB: DIRECT_HOST,
    GOINSECURE: DIRECT_HOST,
    ...mode.direct,
  };
}

function traceFlag(options: GoOptions): string[] {
  return options.trace ? ['-x'] : [];
}

/** Spawns go in its own process group, so a timeout kills the git processes it started too. */
function runGo(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<GoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid!);
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({
        exitCode,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
      });
    });
  });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch (error) {
    // ESRCH: the group is already gone, which is what we wanted.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** The objects of go's `-json` output for several arguments: indented objects one after the other. */
function parseJsonStream<T>(stdout: string): T[] {
  return stdout
    .split(/^}$/m)
    .filter((chunk) => chunk.trim() !== '')
    .map((chunk) => JSON.parse(`${chunk}}`) as T);
}

function parseJson<T>(stdout: string): T | undefined {
  const text = stdout.trim();
  return text === '' ? undefined : (JSON.parse(text) as T);
}
