/**
 * The summary `npm test` prints (test/run.ts): one line per test file as it finishes (tests,
 * failures, skips, seconds), every failure with its error and the file's output, every skip with
 * its reason, and the totals. Made from the events of Node's test runner for one file.
 */
import { inspect } from 'node:util';

/** The parts of a test runner event read here (node:test `TestsStream` events). */
interface TestEvent {
  readonly type: string;
  readonly data: {
    readonly name?: string;
    readonly file?: string;
    readonly nesting?: number;
    readonly skip?: string | boolean;
    readonly todo?: string | boolean;
    readonly message?: string;
    readonly details?: { readonly duration_ms?: number; readonly type?: string; readonly error?: unknown };
  };
}

/** What one file did. */
export interface FileSummary {
  passed: number;
  failed: number;
  skipped: number;
  /** Milliseconds the file's process took. */
  durationMs: number;
  readonly failures: string[];
  readonly skips: string[];
  readonly output: string[];
}

/** Reads the events of a run of the one test file `file` (an absolute path). */
export async function summarizeFile(file: string, events: AsyncIterable<TestEvent>): Promise<FileSummary> {
  const summary: FileSummary = { passed: 0, failed: 0, skipped: 0, durationMs: 0, failures: [], skips: [], output: [] };
  /** Names of the suites the next test is nested in, by nesting level. */
  const path: string[] = [];
  for await (const { type, data } of events) {
    // The file itself is a test at nesting 0 named by its path; its tests may be declared in other files (test/support).
    const fileLevel = data.name === file && (data.nesting ?? 0) === 0;
    if (type === 'test:start' && !fileLevel && data.name !== undefined) path[data.nesting ?? 0] = data.name;
    if (type === 'test:stdout' || type === 'test:stderr') summary.output.push(data.message ?? '');
    if ((type === 'test:pass' || type === 'test:fail') && !fileLevel && data.details?.type !== 'suite') {
      count(summary, type === 'test:pass', [...path.slice(0, data.nesting ?? 0), data.name].join(' > '), data);
    }
    if (type === 'test:fail' && fileLevel) {
      summary.failed++;
      summary.failures.push(`the file itself failed: ${describeError(data.details?.error)}`);
    }
    if (type === 'test:complete' && fileLevel) summary.durationMs = data.details?.duration_ms ?? 0;
  }
  return summary;
}

function count(summary: FileSummary, passed: boolean, name: string, data: TestEvent['data']): void {
  if (data.skip !== undefined || data.todo !== undefined) {
    summary.skipped++;
    const reason = data.skip ?? data.todo;
    summary.skips.push(`${name}${typeof reason === 'string' ? `: ${reason}` : ''}`);
  } else if (passed) {
    summary.passed++;
  } else {
    summary.failed++;
    summary.failures.push(`${name}\n${indent(describeError(data.details?.error), '    ')}`);
  }
}

/** `✔ test/e2e/foo.test.js  12 tests  3.4 s`, then failures (with the file's output) and skips, indented. */
export function fileLine(name: string, summary: FileSummary): string {
  const mark = summary.failed > 0 ? '✖' : '✔';
  const tests = `${summary.passed + summary.failed + summary.skipped} tests`;
  const failed = summary.failed > 0 ? `, ${summary.failed} failed` : '';
  const skipped = summary.skipped > 0 ? `, ${summary.skipped} skipped` : '';
  let text = `${mark} ${name}  ${tests}${failed}${skipped}  ${(summary.durationMs / 1000).toFixed(1)} s\n`;
  for (const failure of summary.failures) text += indent(`✖ ${failure}`, '  ') + '\n';
  if (summary.failed > 0 && summary.output.length > 0) {
    text += indent(`output of the file:\n${indent(summary.output.join('').trimEnd(), '  ')}`, '  ') + '\n';
  }
  for (const skip of summary.skips) text += `  - skipped: ${skip}\n`;
  return text;
}

/** `ok: 950 tests in 75 files, 948 passed, 0 failed, 2 skipped; 150.3 s` */
export function totalsLine(summaries: readonly FileSummary[], durationMs: number): string {
  const sum = (field: 'passed' | 'failed' | 'skipped') => summaries.reduce((total, each) => total + each[field], 0);
  const [passed, failed, skipped] = [sum('passed'), sum('failed'), sum('skipped')];
  const failedFiles = summaries.filter((each) => each.failed > 0).length;
  const verdict = failed === 0 ? 'ok' : 'FAILED';
  return `\n${verdict}: ${passed + failed + skipped} tests in ${summaries.length} files, ${passed} passed, ` +
    `${failed} failed${failedFiles > 0 ? ` (in ${failedFiles} files)` : ''}, ${skipped} skipped; ` +
    `${(durationMs / 1000).toFixed(1)} s\n`;
}

/**
 * The assertion or error behind a failure (the runner wraps it as the `cause` of its own error),
 * without the stack frames of Node's own internals.
 */
function describeError(error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause ?? error;
  return inspect(cause, { depth: 4, breakLength: 120 })
    .split('\n')
    .filter((line) => !/^\s+at (?:.* \()?node:/.test(line))
    .join('\n');
}

function indent(text: string, prefix: string): string {
  return text.split('\n').map((line) => `${prefix}${line}`).join('\n');
}
