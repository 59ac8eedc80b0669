/**
 * golang.org/x/mod's own code as test parts (upstream-tools/main.go, built in GOPATH mode from
 * Debian's `golang-golang-x-mod-dev`, which `.ci/run` installs): a checksum database served by
 * x/mod's `sumdb` server with a fresh test key, and module zips written the way Go writes zips,
 * hashed by x/mod's `dirhash`. Tests skip, saying why, where the x/mod source is missing.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sharedFixture } from './shared-fixtures.ts';

/** Where Debian's golang-golang-x-mod-dev puts x/mod's source (a GOPATH). */
const X_MOD_GOPATH = '/usr/share/gocode';
const SOURCE = fileURLToPath(new URL('./upstream-tools/main.go', import.meta.url));

/** Why the tools cannot be built here, or undefined when they can. */
export function upstreamToolsMissing(): string | undefined {
  return existsSync(join(X_MOD_GOPATH, 'src/golang.org/x/mod/sumdb/server.go'))
    ? undefined
    : `golang.org/x/mod's source is not at ${X_MOD_GOPATH} (apt-get install golang-golang-x-mod-dev)`;
}

/** The tools' binary, built once per test run (shared-fixtures.ts). */
async function tools(): Promise<string> {
  const dir = await sharedFixture('upstream-tools', async (dir) => {
    await promisify(execFile)('go', ['build', '-o', join(dir, 'upstream-tools'), SOURCE], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: dir,
        GO111MODULE: 'off',
        GOPATH: X_MOD_GOPATH,
        GOCACHE: join(dir, 'go-build-cache'),
        GOFLAGS: '',
      },
    });
    await rm(join(dir, 'go-build-cache'), { recursive: true, force: true });
  });
  return join(dir, 'upstream-tools');
}

/** A running checksum database. */
export interface Sumdb {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The verifier key, `<name>+<hash>+<key>`: what GOSUMDB takes. */
  readonly key: string;
  /** The path of every request so far (`/lookup/…`, `/tile/…`, `/latest`). */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Starts x/mod's checksum database `name` over the go.sum lines in `goSumFile` (read again on each lookup). */
export async function startSumdb(name: string, goSumFile: string): Promise<Sumdb> {
  const child = spawn(await tools(), ['sumdb', name, goSumFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const requests: string[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    const lines = stderr.split('\n');
    stderr = lines.pop()!;
    for (const line of lines) requests.push(line.replace(/^GET /, ''));
  });
  const first = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`sumdb server exited (${code}): ${stderr}`)));
  });
  const [key, address] = first.split(' ');
  return { url: `http://${address}`, key: key!, requests, close: () => stop(child) };
}

/** Writes a zip of `files` files of random bytes, `mib` MiB in all, for `module@version`, as Go's archive/zip does; resolves with its `h1:`. */
export async function writeBigZip(
  module: string,
  version: string,
  files: number,
  mib: number,
  out: string,
): Promise<string> {
  const { stdout } = await promisify(execFile)(await tools(), [
    'bigzip',
    module,
    version,
    String(files),
    String(mib),
    out,
  ]);
  return stdout.trim();
}

/** x/mod's `dirhash.HashZip` of a zip file. */
export async function hashZipFile(file: string): Promise<string> {
  const { stdout } = await promisify(execFile)(await tools(), ['hashzip', file]);
  return stdout.trim();
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
