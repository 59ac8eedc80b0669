/**
 * The benchmark's report for people, on recorded results (a run is too slow for the suite): a
 * `--quick` run of `npm run bench` (test/support/bench-quick-result.json) and the full run of
 * 2026-11-29 that README "Performance" cites (bench/charts/2026-11-29.json). Every line fits 100
 * columns unless `--wide`, the output ends with the verdict table, a verdict follows its target,
 * `--compare` shows what changed, the progress line says the time left, and the charts are SVG
 * with a bar per figure and a point per sample.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { rssOverTimeSvg, zipThroughputSvg } from '../../bench/chart.ts';
import { formatComparison } from '../../bench/compare.ts';
import { aboutLeft, Progress, secondsLeft } from '../../bench/progress.ts';
import { formatReport, verdictLabel, verdicts } from '../../bench/report.ts';
import type { BenchResult, ZipRow } from '../../bench/result.ts';
import { table, wrap } from '../../bench/table.ts';
import { scriptArgs } from '../support/project.ts';

const QUICK_FILE = fileURLToPath(new URL('../support/bench-quick-result.json', import.meta.url));
const FULL_FILE = fileURLToPath(new URL('../../bench/charts/2026-11-29.json', import.meta.url));
const quick = JSON.parse(readFileSync(QUICK_FILE, 'utf8')) as BenchResult;
const full = JSON.parse(readFileSync(FULL_FILE, 'utf8')) as BenchResult;

function longest(text: string): number {
  return Math.max(...text.split('\n').map((line) => line.length));
}

/** The verdict of the target whose text starts with `start`. */
function verdictOf(result: BenchResult, start: string): string {
  const verdict = verdicts(result).find((candidate) => candidate.target.startsWith(start));
  assert.ok(verdict, start);
  return verdictLabel(verdict);
}

function withZips(result: BenchResult, change: (row: ZipRow) => Partial<ZipRow>): BenchResult {
  return { ...result, zips: result.zips.map((row) => ({ ...row, ...change(row) })) };
}

describe('the benchmark report', () => {
  test('a --quick run fits 100 columns and ends with the verdict table', () => {
    const report = formatReport(quick);
    assert.ok(longest(report) <= 100, `a line of ${longest(report)} columns`);
    const lines = report.trimEnd().split('\n');
    const title = lines.map((line) => line.startsWith('Verdict')).lastIndexOf(true);
    assert.ok(title > 0, 'a verdict table');
    assert.match(lines[title], /--quick/);
    assert.ok(lines.slice(title + 1).every((line) => /^[+|]/.test(line)), 'nothing after the verdict table');
    for (const section of ['Zip streaming', 'First byte', 'The zip cache', 'Requests per second', 'upstream proxy']) {
      assert.ok(lines.slice(0, title).some((line) => line.includes(section)), `${section}: the details come first`);
    }
  });

  test('the full run fits 100 columns; --wide gives the Markdown tables of bench/README.md', () => {
    assert.ok(longest(formatReport(full)) <= 100);
    const wide = formatReport(full, { wide: true });
    assert.ok(longest(wide) > 120, 'the whole zip table on one line a row');
    assert.match(wide, /^\| module +\| level +\| zip MB +\| git s +\| git\(env\) s +\|/m);
  });

  test('verdicts: each target against what was measured; parts not run say so', () => {
    assert.equal(verdictOf(full, 'one zip stream ≥ 0.95x'), 'NOT MET');
    assert.equal(verdictOf(full, 'a zip from the cache'), 'met');
    assert.equal(verdictOf(full, 'large zips'), 'met');
    assert.equal(verdictOf(full, 'list, .info'), 'not run');
    const faster = withZips(full, (row) => ({ repeatSeconds: row.gitTunedSeconds / 2 }));
    assert.equal(verdictOf(faster, 'one zip stream ≥ 0.95x'), 'met');
    const measured = verdicts(full).find((verdict) => verdict.target.startsWith('server RSS'))!.measured;
    assert.equal(measured, '74–258 MB');
  });

  test('the modules say "from bench/.cache" only when they came from it', () => {
    const report = formatReport(quick);
    const cached = quick.modules.filter((module) => module.cached === true).length;
    assert.equal(report.split('from bench/.cache').length - 1, cached);
    assert.equal(report.split('| generated').length - 1, quick.modules.length - cached);
  });

  test('--compare: targets before and now, a changed verdict marked, the zip figures that moved', () => {
    const now = withZips(full, (row) => (row.level === 'store' ? { repeatSeconds: row.gitTunedSeconds } : {}));
    const comparison = formatComparison(full, now);
    assert.ok(longest(comparison) <= 100);
    const store = comparison.split('\n').find((line) => line.includes('| one zip stream'));
    assert.match(store ?? '', /\| 0\.29–0\.55x +\| 1\.00x +\| met \(was NOT MET\) +\|$/);
    assert.match(comparison, /\| many-small \| store +\| repeat MB\/s +\| 118 +\| 243 +\| \+10[67] % \|/);
    assert.doesNotMatch(comparison, /\| fast /, 'what did not move is not listed');
    assert.match(formatComparison(full, full), /No zip figure moved/);
  });

  test('npm run bench -- --report FILE --compare FILE: no run, the comparison, the verdict last', async () => {
    const run = fileURLToPath(new URL('../../bench/run.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [
      ...scriptArgs(run),
      '--report',
      QUICK_FILE,
      '--compare',
      FULL_FILE,
    ]);
    assert.ok(longest(stdout) <= 100);
    assert.match(stdout, /^git-goproxy benchmark \(--quick\)/);
    assert.match(stdout, /Against 2026-11-29 11:31 UTC \(ANOTHER SIZE: --quick differs\)/);
    assert.match(stdout.trimEnd().split('\n').at(-1)!, /^\+-+\+-+\+-+\+$/);
  });
});

describe('tables', () => {
  test('narrow: columns shrink, widest first, and cells wrap at spaces', () => {
    const text = table(['name', 'what'], [['a', 'one two three four five six seven eight nine ten']], { width: 30 });
    assert.ok(longest(text) <= 30, text);
    assert.match(text, /\| a +\| one two three four +\|\n\| +\| five six seven +\|/);
  });

  test('wrap breaks a word longer than the width', () => {
    assert.deepEqual(wrap('abcdefgh ij', 3), ['abc', 'def', 'gh', 'ij']);
    assert.deepEqual(wrap('', 5), ['']);
  });
});

describe('the progress line', () => {
  const plan = [
    { key: 'compile', expectedSeconds: 20 },
    { key: 'zip', expectedSeconds: 200 },
    { key: 'load', expectedSeconds: 60 },
  ];

  test('the time left: the steps done so far, else the plan, and the phases to come', () => {
    assert.equal(secondsLeft(plan, 'compile', 5), 15 + 260);
    assert.equal(secondsLeft(plan, 'compile', 30), 0 + 260, 'a phase over its time has none left');
    assert.equal(secondsLeft(plan, 'zip', 30, 3, 12), 90 + 60);
    assert.equal(secondsLeft(plan, 'zip', 30, 0, 12), 170 + 60);
    assert.equal(secondsLeft(plan, 'other', 1), undefined);
    assert.equal(aboutLeft(42), 'about 40 s left');
    assert.equal(aboutLeft(1), 'about 5 s left');
    assert.equal(aboutLeft(250), 'about 4 min left');
  });

  test('each step is a line with the time left, within 100 columns; phases are timed', () => {
    const written: string[] = [];
    const out = { isTTY: false, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
    const progress = new Progress(plan, out);
    progress.phase('compile', 'compiling lib/', 'npm run build');
    progress.phase('zip', 'zip streaming');
    progress.step(`${'a very long module name '.repeat(6)}at store`, 1, 12);
    progress.note('results written');
    assert.match(written[0], /^bench: compiling lib\/: npm run build \(0 s; about 5 min left\)\n$/);
    assert.ok(written.every((line) => line.length <= 101), written.join(''));
    assert.match(written[2], /… \(0 s; about [0-9]+ s left\)\n$/);
    assert.equal(written.at(-1), 'bench: results written\n');
    assert.deepEqual(Object.keys(progress.phaseSeconds), ['compile', 'zip']);
  });
});

describe('charts', () => {
  test('zip throughput: a bar per module, level and series, labels escaped', () => {
    const svg = zipThroughputSvg(full);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="[0-9]+" height="[0-9]+"/);
    assert.ok(svg.trimEnd().endsWith('</svg>'));
    const bars = svg.match(/<rect x="150"/g) ?? [];
    assert.equal(bars.length, full.zips.length * 3);
    assert.match(svg, />many-small store</);
    const hostile = zipThroughputSvg(withZips(full, () => ({ module: '<script>' })));
    assert.doesNotMatch(hostile, /<script>/);
    assert.match(hostile, /&lt;script&gt; store/);
  });

  test('RSS over time: a point per sample and the target line', () => {
    const samples = Array.from({ length: 30 }, (_, i) => ({ atMs: i * 1000, rssBytes: (100 + i) * 1e6 }));
    const svg = rssOverTimeSvg('soak', samples, 150);
    const points = /<polyline points="([^"]+)"/.exec(svg)![1].split(' ');
    assert.equal(points.length, 30);
    assert.match(svg, /target ≤ 150 MB/);
  });
});
