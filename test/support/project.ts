/**
 * Where the project is, and how to run its command line the way the current test runs.
 *
 * `npm test` runs the suite compiled (`tsc -p test/tsconfig.json` writes every `.js` beside its
 * `.ts`); one file may also run under tsx (`node --import tsx --test test/e2e/foo.test.ts`). A
 * command-line process a test starts runs the same way as the test itself: compiled
 * `lib/server.js` under `npm test`, `lib/server.ts` through tsx otherwise, so a change to `lib/`
 * that a tsx run sees is never tested against a stale build.
 */
import { fileURLToPath } from 'node:url';

/** The project's root directory, with a trailing slash. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** True when this file runs compiled (`.js`), false under tsx (`.ts`). */
export const COMPILED = import.meta.url.endsWith('.js');

/** Node arguments that run the command line (`lib/server`), relative to {@link PROJECT_ROOT}. */
export const SERVER_ARGS: readonly string[] = COMPILED ? ['lib/server.js'] : ['--import', 'tsx', 'lib/server.ts'];

/** Node arguments that run a script of the project given by its `.ts` path relative to the root. */
export function scriptArgs(tsPath: string): string[] {
  return COMPILED ? [tsPath.replace(/\.ts$/, '.js')] : ['--import', 'tsx', tsPath];
}
