/**
 * Answer tables: what the go command answered in direct mode (straight from git, no proxy) for the
 * fixtures of a test, checked in as `test/oracle/<name>.json`.
 *
 * The oracle's tests (`test/oracle/*.test.ts`, run by `npm run test:oracle`) build the fixtures,
 * ask the real go command in direct mode (direct-oracle.ts) and compare its answers with the table;
 * `ORACLE_UPDATE=1 npm run test:oracle` writes the tables instead. Everyday tests (`test/e2e`)
 * build the same fixtures (fixed dates: the same commit ids everywhere) and compare the proxy's
 * answers with the table, so the go command's direct mode is the reference without running it.
 *
 * A table is JSON: an object of sections, each an object keyed by what was asked (a module, or a
 * `module@query` target), with the answer's fields as the go command names them (`Version`, `Time`,
 * `Sum`, `GoModSum`, `Versions`) or `Error`: the reason of its error (see {@link reasonOf}).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type DownloadedModule, goModDownload, type GoMode } from './go-client.ts';
import { makeTempDir, removeDir } from './temp.ts';

/** A download: the version resolved, its commit time and hashes, or why the go command failed. */
export type DownloadAnswer =
  | { readonly Version: string; readonly Time: string; readonly Sum: string; readonly GoModSum: string }
  | { readonly Error: string };

/** A module version's hashes (of its zip and its go.mod), or why the go command refused it. */
export type ZipAnswer = { readonly Sum: string; readonly GoModSum: string } | { readonly Error: string };

/** A `go list -m` answer: the version (with `Time`) or the versions (with `Versions`) or the reason of a failure. */
export type ListAnswer =
  | { readonly Version?: string; readonly Time?: string; readonly Versions?: readonly string[] }
  | { readonly Error: string };

const tableFile = (name: string): URL => new URL(`../oracle/${name}.json`, import.meta.url);

/** The checked-in table `test/oracle/<name>.json`. */
export function readAnswerTable<T>(name: string): T {
  return JSON.parse(readFileSync(tableFile(name), 'utf8')) as T;
}

/**
 * In the oracle: asserts that `answers` (what the go command says now) equal the checked-in table,
 * or writes them as the table when `ORACLE_UPDATE=1`.
 */
export function checkAnswerTable(name: string, answers: unknown): void {
  if (process.env['ORACLE_UPDATE'] === '1') {
    writeFileSync(tableFile(name), `${JSON.stringify(answers, null, 2)}\n`);
    return;
  }
  assert.deepEqual(
    answers,
    readAnswerTable(name),
    `test/oracle/${name}.json is not what the go command answers now (ORACLE_UPDATE=1 npm run test:oracle rewrites it)`,
  );
}

/**
 * What a go error says after `module@version: ` on its last line ("invalid version: unknown
 * revision v9.9.9"); a proxy's refusal must say the same.
 */
export function reasonOf(error: string): string {
  const lastLine = error.trim().split('\n').at(-1)!;
  const at = lastLine.indexOf(': ');
  return at < 0 ? lastLine : lastLine.slice(at + 2);
}

/**
 * In the oracle: `go mod download -json <target>` in a go command of its own with fresh caches, as
 * a table answer (the `Time` read from the `.info` file it downloaded).
 */
export async function askDownload(target: string, mode: GoMode): Promise<DownloadAnswer> {
  const cacheDir = await makeTempDir('oracle-download');
  try {
    const { json, stderr } = await goModDownload(target, mode, { cacheDir });
    if (json?.Error !== undefined) return { Error: reasonOf(json.Error) };
    assert.ok(json?.Version && json.Sum && json.GoModSum && json.Info, `${target}: ${stderr}`);
    const { Time } = JSON.parse(await readFile(json.Info, 'utf8')) as { Time: string };
    return { Version: json.Version, Time, Sum: json.Sum, GoModSum: json.GoModSum };
  } finally {
    await removeDir(cacheDir);
  }
}

/**
 * What differs between a table's answer and the go command's through the proxy (`viaProxy`), or
 * undefined when they agree: the same version and hashes, or a failure whose reason says the
 * table's reason. (`Time` is not in `go mod download`'s output; tests compare it from `.info`.)
 */
export function downloadMismatch(recorded: DownloadAnswer, viaProxy: DownloadedModule | undefined): string | undefined {
  if ('Error' in recorded) {
    if (viaProxy?.Error === undefined) {
      return `direct mode failed (${recorded.Error}), the proxy gave ${viaProxy?.Version}`;
    }
    return viaProxy.Error.includes(recorded.Error)
      ? undefined
      : `error ${viaProxy.Error} lacks the reason of direct mode's ${recorded.Error}`;
  }
  if (viaProxy?.Error !== undefined) return `direct mode gave ${recorded.Version}, the proxy failed: ${viaProxy.Error}`;
  for (const field of ['Version', 'Sum', 'GoModSum'] as const) {
    if (viaProxy?.[field] !== recorded[field]) return `${field} ${viaProxy?.[field]} instead of ${recorded[field]}`;
  }
  return undefined;
}
