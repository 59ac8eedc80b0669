/**
 * `npm run bench -- --compare FILE`: this run against an earlier result file. Each target's
 * measurement before and now, with the verdict now (a verdict that changed is marked), then the
 * zip figures that moved by more than a tenth, module by module and level by level.
 */
import { type ReportOptions, tableStyle, verdictLabel, verdicts } from './report.ts';
import { type BenchResult, megabytesPerSecond, type ZipRow } from './result.ts';
import { table } from './table.ts';

/** A figure of a zip row, and whether more is better. */
const ZIP_FIGURES: ReadonlyArray<{ name: string; value: (row: ZipRow) => number; higherIsBetter: boolean }> = [
  { name: 'repeat MB/s', value: (row) => megabytesPerSecond(row.zipBytes, row.repeatSeconds), higherIsBetter: true },
  { name: 'first MB/s', value: (row) => megabytesPerSecond(row.zipBytes, row.serverSeconds), higherIsBetter: true },
  { name: 'first byte ms', value: (row) => row.firstTtfbMs, higherIsBetter: false },
  { name: 'repeat first byte ms', value: (row) => row.ttfbMs, higherIsBetter: false },
  { name: 'RSS MB', value: (row) => row.serverPeakRssMB, higherIsBetter: false },
];

/** Share of change below which a zip figure is not listed (a shared machine moves that much). */
const NOISE = 0.1;

export function formatComparison(before: BenchResult, now: BenchResult, options: ReportOptions = {}): string {
  const style = tableStyle(options);
  const earlier = verdicts(before);
  const targets = verdicts(now).map((verdict, i) => {
    const was = verdictLabel(earlier[i]);
    const is = verdictLabel(verdict);
    return [verdict.target, earlier[i].measured, verdict.measured, was === is ? is : `${is} (was ${was || '-'})`];
  });
  const sections = [
    `Against ${before.date.slice(0, 16).replace('T', ' ')} UTC${
      before.quick === now.quick ? '' : ' (ANOTHER SIZE: --quick differs)'
    }\n${table(['target', 'before', 'now', 'verdict now'], targets, style)}`,
  ];
  const moved = zipChanges(before, now);
  sections.push(
    moved.length === 0
      ? `No zip figure moved by more than ${NOISE * 100} %.`
      : `Zip figures that moved by more than ${NOISE * 100} % (+ is better)\n${
        table(['module', 'level', 'figure', 'before', 'now', 'change'], moved, style)
      }`,
  );
  return sections.join('\n\n');
}

function zipChanges(before: BenchResult, now: BenchResult): string[][] {
  const rows: string[][] = [];
  for (const row of now.zips) {
    const old = before.zips.find((candidate) => candidate.module === row.module && candidate.level === row.level);
    if (old === undefined) continue;
    for (const figure of ZIP_FIGURES) {
      const [was, is] = [figure.value(old), figure.value(row)];
      const change = (is - was) / was;
      if (!Number.isFinite(change) || Math.abs(change) <= NOISE) continue;
      const better = figure.higherIsBetter ? change > 0 : change < 0;
      const percent = `${Math.abs(change * 100).toFixed(0)} %`;
      rows.push([row.module, row.level, figure.name, was.toFixed(0), is.toFixed(0), `${better ? '+' : '-'}${percent}`]);
    }
  }
  return rows;
}
