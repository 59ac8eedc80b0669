/**
 * The benchmark's results as SVG charts, for bench/results/ and for the READMEs to embed: zip
 * throughput per module and level against `git archive` (`npm run bench`), and the server's RSS over
 * the soak's time (`npm run soak`). Plain SVG 1.1 on a white ground, no script, no external font.
 */
import { escapeHtml } from '../lib/http/html.ts';
import { type BenchResult, megabytesPerSecond, type ZipRow } from './result.ts';

const FONT = 'font-family="DejaVu Sans, Verdana, sans-serif"';
const COLORS = { git: '#8c8c8c', first: '#4c78a8', repeat: '#f58518', line: '#4c78a8', limit: '#e45756' };

/** Bars of one row: what each is and its MB/s. */
const SERIES: ReadonlyArray<
  { readonly name: string; readonly color: string; readonly seconds: (row: ZipRow) => number }
> = [
  { name: 'git archive (into /dev/null)', color: COLORS.git, seconds: (row) => row.gitTunedSeconds },
  { name: 'server, first stream (hashed for the pin)', color: COLORS.first, seconds: (row) => row.serverSeconds },
  { name: 'server, repeat stream', color: COLORS.repeat, seconds: (row) => row.repeatSeconds },
];

/** Horizontal bars: for each module and level, git archive's MB/s and the server's first and repeat streams. */
export function zipThroughputSvg(result: BenchResult): string {
  const bar = 9;
  const rowHeight = SERIES.length * bar + 10;
  const left = 150;
  const plotWidth = 540;
  const top = 44 + SERIES.length * 16;
  const height = top + result.zips.length * rowHeight + 40;
  const width = left + plotWidth + 70;
  const values = result.zips.flatMap((row) =>
    SERIES.map((series) => megabytesPerSecond(row.zipBytes, series.seconds(row)))
  );
  const max = niceCeiling(Math.max(1, ...values));
  const x = (value: number) => left + (value / max) * plotWidth;
  const parts: string[] = [
    text(
      10,
      20,
      `Zip throughput, MB/s${result.quick ? ' (--quick)' : ''}: ${
        result.date.slice(0, 10)
      }, ${result.machine.cpus} cores`,
      15,
      'bold',
    ),
    ...SERIES.map((series, i) => legend(10, 38 + i * 16, series.color, series.name)),
    ...ticks(max).flatMap((tick) => [
      `<line x1="${x(tick)}" y1="${top - 4}" x2="${x(tick)}" y2="${height - 36}" stroke="#dddddd"/>`,
      text(x(tick), height - 20, String(tick), 11, 'normal', 'middle'),
    ]),
    text(left + plotWidth / 2, height - 4, 'MB/s of the zip (higher is faster)', 11, 'normal', 'middle'),
  ];
  result.zips.forEach((row, index) => {
    const y = top + index * rowHeight;
    parts.push(text(left - 8, y + (SERIES.length * bar) / 2 + 4, `${row.module} ${row.level}`, 12, 'normal', 'end'));
    SERIES.forEach((series, i) => {
      const value = megabytesPerSecond(row.zipBytes, series.seconds(row));
      parts.push(
        `<rect x="${left}" y="${y + i * bar}" width="${(x(value) - left).toFixed(1)}" height="${
          bar - 1
        }" fill="${series.color}"/>`,
        text(x(value) + 3, y + i * bar + bar - 1, value.toFixed(0), 9),
      );
    });
  });
  return svg(width, height, parts);
}

/** The server's RSS over the run, one point a sample, with the limit as a line when given. */
export function rssOverTimeSvg(
  title: string,
  samples: ReadonlyArray<{ readonly atMs: number; readonly rssBytes: number }>,
  limitMB?: number,
): string {
  const [left, top, plotWidth, plotHeight] = [60, 40, 600, 240];
  const width = left + plotWidth + 30;
  const height = top + plotHeight + 50;
  const seconds = Math.max(1, ...samples.map((s) => s.atMs / 1000));
  const maxMB = niceCeiling(Math.max(limitMB ?? 0, ...samples.map((s) => s.rssBytes / 1e6)) * 1.1);
  const x = (s: number) => left + (s / seconds) * plotWidth;
  const y = (mb: number) => top + plotHeight - (mb / maxMB) * plotHeight;
  const points = samples.map((s) => `${x(s.atMs / 1000).toFixed(1)},${y(s.rssBytes / 1e6).toFixed(1)}`).join(' ');
  const parts = [
    text(10, 20, title, 15, 'bold'),
    ...ticks(maxMB).flatMap((mb) => [
      `<line x1="${left}" y1="${y(mb)}" x2="${left + plotWidth}" y2="${y(mb)}" stroke="#dddddd"/>`,
      text(left - 6, y(mb) + 4, String(mb), 11, 'normal', 'end'),
    ]),
    ...ticks(seconds).map((s) => text(x(s), top + plotHeight + 16, String(s), 11, 'normal', 'middle')),
    text(left + plotWidth / 2, height - 8, 'seconds into the run; server RSS in MB', 11, 'normal', 'middle'),
    `<polyline points="${points}" fill="none" stroke="${COLORS.line}" stroke-width="2"/>`,
  ];
  if (limitMB !== undefined) {
    parts.push(
      `<line x1="${left}" y1="${y(limitMB)}" x2="${left + plotWidth}" y2="${
        y(limitMB)
      }" stroke="${COLORS.limit}" stroke-dasharray="6 4"/>`,
      text(left + plotWidth - 4, y(limitMB) - 4, `target ≤ ${limitMB} MB`, 11, 'normal', 'end'),
    );
  }
  return svg(width, height, parts);
}

function svg(width: number, height: number, parts: readonly string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function text(x: number, y: number, content: string, size: number, weight = 'normal', anchor = 'start'): string {
  return `<text x="${x.toFixed(1)}" y="${
    y.toFixed(1)
  }" font-size="${size}" font-weight="${weight}" text-anchor="${anchor}" ${FONT} fill="#222222">${
    escapeHtml(content)
  }</text>`;
}

function legend(x: number, y: number, color: string, name: string): string {
  return `<rect x="${x}" y="${y - 9}" width="12" height="10" fill="${color}"/>\n${text(x + 18, y, name, 12)}`;
}

/** The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^n) at or above `value`. */
export function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((step) => step * power).find((candidate) => candidate >= value)!;
}

/** Five to ten round ticks from 0 to `max` (a nice ceiling). */
function ticks(max: number): number[] {
  const power = 10 ** Math.floor(Math.log10(max));
  const step = [power / 10, power / 5, power / 2, power].find((candidate) => max / candidate <= 10)!;
  return Array.from({ length: Math.floor(max / step + 1e-9) + 1 }, (_, i) => Number((i * step).toPrecision(6)));
}
