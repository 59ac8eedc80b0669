/**
 * What is known about a mirror's fetches, kept in a small JSON file inside the mirror
 * (`git-goproxy.json`, which git ignores) so that every process sees it: `--workers`, a restarted
 * server (a mirror fetched before serves at once, without a `Retry-After`), `check` and the
 * `mirrors` command. Written by the process that fetched, atomically (a temporary file renamed over
 * it). The last error is kept as the log said it: credentials removed.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_ID } from '../common/owned-files.ts';

/** A mirror's fetch history, as last written by any process. */
export interface MirrorRecord {
  /** When the last successful fetch started (ms since the epoch): a request made before it is answered by it. */
  readonly lastSuccessStarted?: number;
  /** When the last successful fetch ended. */
  readonly lastSuccess?: number;
  /** When the last fetch, successful or not, ended. */
  readonly lastAttempt?: number;
  /** Why the last fetch failed (credentials removed); absent when it succeeded. */
  readonly lastError?: string;
  /** Fetches that failed in a row since the last success. */
  readonly failuresInRow: number;
}

/** The record of a mirror never fetched. */
export const NO_RECORD: MirrorRecord = { failuresInRow: 0 };

const FILE = 'git-goproxy.json';

/** The record in the mirror at `gitDir`; `NO_RECORD` when there is none (or it cannot be read). */
export async function readRecord(gitDir: string): Promise<MirrorRecord> {
  const text = await readFile(join(gitDir, FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return NO_RECORD;
  try {
    const parsed = JSON.parse(text) as Partial<MirrorRecord>;
    return {
      lastSuccessStarted: numberOrUndefined(parsed.lastSuccessStarted),
      lastSuccess: numberOrUndefined(parsed.lastSuccess),
      lastAttempt: numberOrUndefined(parsed.lastAttempt),
      lastError: typeof parsed.lastError === 'string' ? parsed.lastError : undefined,
      failuresInRow: numberOrUndefined(parsed.failuresInRow) ?? 0,
    };
  } catch {
    return NO_RECORD;
  }
}

/** Replaces the record of the mirror at `gitDir` (its directory is created when missing). */
export async function writeRecord(gitDir: string, record: MirrorRecord): Promise<void> {
  await mkdir(gitDir, { recursive: true });
  const temporary = join(gitDir, `${FILE}.${process.pid}.${RUN_ID}`);
  await writeFile(temporary, `${JSON.stringify(record)}\n`);
  await rename(temporary, join(gitDir, FILE));
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
