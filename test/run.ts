/**
 * The test runner of `npm test` and `npm run test:oracle`: runs test files concurrently, each in a
 * process of its own (Node's test runner), and prints one line per file as it finishes and the
 * totals (test/support/test-summary.ts), or, with `--reporter`, the output of one of Node's
 * reporters (tap, spec, dot) for the whole run.
 *
 *   node test/run.js [--reporter=tap|spec|dot] [--concurrency=N] [--name=PATTERN…] [path…]
 *
 * A path is a test file or a folder of them (`*.test.ts`); by default test/unit and test/e2e. Run
 * compiled (`test/run.js`, after `tsc -p test/tsconfig.json`) it runs the compiled files; run through
 * tsx (`node --import tsx test/run.ts`) the `.ts` files, each through tsx. Heavy files start first,
 * so that the short ones fill the gaps at the end. The exit code is 1 when a test failed. The run's
 * shared fixtures (test/support/shared-fixtures.ts) live in a temp dir removed at the end.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { run } from 'node:test';
import { dot, spec, tap } from 'node:test/reporters';
import { parseArgs } from 'node:util';
import { inParallel } from './support/parallel.ts';
import { COMPILED, PROJECT_ROOT } from './support/project.ts';
import { SHARED_FIXTURES_ENV } from './support/shared-fixtures.ts';
import { fileLine, summarizeFile, totalsLine } from './support/test-summary.ts';

/** Files that take longest, started first (the rest start in folder order: e2e before unit). */
const HEAVY_FIRST = [
  'test/e2e/zip-fidelity.test.ts',
  'test/e2e/faults.test.ts',
  'test/e2e/versions.test.ts',
  'test/e2e/parallel-zip.test.ts',
];

/** Node's reporters; `spec` is a stream class, the others are generator functions. */
const REPORTERS: Record<string, () => Parameters<ReturnType<typeof run>['compose']>[0]> = {
  tap: () => tap,
  spec: () => new spec(),
  dot: () => dot,
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    reporter: { type: 'string' },
    concurrency: { type: 'string', default: String(Math.max(2, availableParallelism())) },
    name: { type: 'string', multiple: true },
  },
});

const concurrency = Number(values.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1) usage('--concurrency must be a positive integer');
const files = ordered(
  (positionals.length > 0 ? positionals : ['test/unit', 'test/e2e']).flatMap((path) => testFiles(resolve(path))),
).map((file) => (COMPILED ? file.replace(/\.ts$/, '.js') : file));
if (files.length === 0) usage('no test files');
const names = values.name === undefined ? {} : { testNamePatterns: values.name };
const shared = mkdtempSync(join(tmpdir(), 'git-goproxy-shared-'));
process.env[SHARED_FIXTURES_ENV] = shared;
process.once('exit', () => rmSync(shared, { recursive: true, force: true }));

if (values.reporter === undefined) {
  const started = performance.now();
  const summaries = await inParallel(files, concurrency, async (file) => {
    const summary = await summarizeFile(file, run({ files: [file], ...names }));
    process.stdout.write(fileLine(relative(process.cwd(), file), summary));
    return summary;
  });
  process.stdout.write(totalsLine(summaries, performance.now() - started));
  if (summaries.some((summary) => summary.failed > 0)) process.exitCode = 1;
} else {
  const reporter = REPORTERS[values.reporter];
  if (reporter === undefined) usage(`unknown reporter ${values.reporter}`);
  const stream = run({ files, concurrency, ...names });
  stream.on('test:fail', () => {
    process.exitCode = 1;
  });
  const output = stream.compose(reporter());
  output.pipe(process.stdout);
  await finished(output);
}

/** The `.ts` test files of a path: the file itself, or the `*.test.ts` files in a folder. */
function testFiles(path: string): string[] {
  const source = path.replace(/\.js$/, '.ts');
  if (statSync(source, { throwIfNoEntry: false })?.isFile()) return [source];
  if (!statSync(path, { throwIfNoEntry: false })?.isDirectory()) usage(`no test file or folder ${path}`);
  return readdirSync(path).filter((name) => name.endsWith('.test.ts')).sort().map((name) => join(path, name));
}

/** Heavy files first, then e2e before unit, each in name order. */
function ordered(paths: string[]): string[] {
  const rank = (path: string): number => {
    const heavy = HEAVY_FIRST.indexOf(relative(PROJECT_ROOT, path));
    return heavy >= 0 ? heavy : HEAVY_FIRST.length + (path.includes('/e2e/') ? 0 : 1);
  };
  return [...new Set(paths)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function usage(problem: string): never {
  process.stderr.write(
    `test/run: ${problem}\nusage: node test/run.js [--reporter=tap|spec|dot] [--concurrency=N] [--name=PATTERN] [file or folder…]\n`,
  );
  process.exit(2);
}
