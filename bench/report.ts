/**
 * The benchmark's report on stdout: the details of each part, then the verdict table (each target
 * of README "Performance", what this run measured, met or not), last, so that it is what the terminal
 * shows when the run ends. Narrow by default: every line fits `REPORT_WIDTH` columns; `--wide` prints
 * the full Markdown tables of bench/README.md instead.
 */
import {
  type BenchResult,
  CONCURRENCIES,
  LOAD_ROUNDS,
  MB,
  megabytesPerSecond,
  type Part,
  PARTS,
  type ZipRow,
} from './result.ts';
import { table, type TableStyle, wrap } from './table.ts';

/** Columns of the narrow report. */
export const REPORT_WIDTH = 100;

export interface Verdict {
  readonly target: string;
  readonly part: Part;
  /** What was measured, or '-' when the part did not run. */
  readonly measured: string;
  /** undefined: no target to meet (a figure shown for reference), or the part did not run. */
  readonly met: boolean | undefined;
}

interface Target {
  readonly target: string;
  readonly part: Part;
  judge(result: BenchResult): { measured: string; met?: boolean } | undefined;
}

const TARGETS: readonly Target[] = [
  {
    target: 'list, .info, .mod, @latest ≥ 3,000 requests/s at c=32',
    part: 'load',
    judge: (result) => {
      const rates = result.loads.filter((row) => row.concurrency === 32).map((row) => row.requestsPerSecond);
      return rates.length === 0
        ? undefined
        : { measured: `${range(rates, 0)} requests/s`, met: Math.min(...rates) >= 3000 };
    },
  },
  {
    target: 'large zips ≥ 1x git archive at the deflate levels',
    part: 'zip',
    judge: (result) =>
      ratioTarget(
        result.zips.filter((row) => row.level !== 'store' && (row.module === 'many-small' || row.module === 'huge')),
        (row) => row.gitTunedSeconds / row.repeatSeconds,
        1,
      ),
  },
  {
    target: 'one zip stream ≥ 0.95x git archive at store',
    part: 'zip',
    judge: (result) =>
      ratioTarget(
        result.zips.filter((row) => row.level === 'store'),
        (row) => row.gitTunedSeconds / row.repeatSeconds,
        0.95,
      ),
  },
  {
    target: 'first byte of a repeat ≤ 100 ms (many-small)',
    part: 'zip',
    judge: (result) => msTarget(result.zips.filter((row) => row.module === 'many-small'), (row) => row.ttfbMs, 100),
  },
  {
    target: 'first byte of a first download ≤ 150 ms (many-small)',
    part: 'zip',
    judge: (result) =>
      msTarget(result.zips.filter((row) => row.module === 'many-small'), (row) => row.firstTtfbMs, 150),
  },
  {
    target: 'first byte of a first download ≤ 300 ms (tiny)',
    part: 'zip',
    judge: (result) => msTarget(result.zips.filter((row) => row.module === 'tiny'), (row) => row.firstTtfbMs, 300),
  },
  {
    target: 'server RSS ≤ 100 MB, every module and level',
    part: 'zip',
    judge: (result) => {
      const rss = result.zips.map((row) => row.serverPeakRssMB);
      return rss.length === 0 ? undefined : { measured: `${range(rss, 0)} MB`, met: Math.max(...rss) <= 100 };
    },
  },
  {
    target: 'a zip from the cache faster than git archive',
    part: 'zip',
    judge: (result) => ratioTarget(result.zips, (row) => row.gitTunedSeconds / row.cachedSeconds, 1),
  },
  {
    target: 'go mod download faster than direct mode, same sums',
    part: 'download',
    judge: (result) => {
      const row = result.downloads[0];
      if (row === undefined) return undefined;
      const speedUp = row.directSeconds / row.proxySeconds;
      return {
        measured: `${speedUp.toFixed(1)}x faster, ${row.sumsEqual ? 'same sums' : 'OTHER SUMS'}`,
        met: speedUp > 1 && row.sumsEqual,
      };
    },
  },
  {
    target: 'upstream module: first download ≥ 0.8x the upstream',
    part: 'upstream',
    judge: (result) => {
      const row = result.upstream[0];
      if (row === undefined) return undefined;
      const ratio = row.staticSeconds / row.firstSeconds;
      return {
        measured: `${mbPerSecond(row.zipBytes, row.firstSeconds)} MB/s, ${ratio.toFixed(2)}x`,
        met: ratio >= 0.8,
      };
    },
  },
  {
    target: 'upstream module cached: no request, RSS ≤ 150 MB',
    part: 'upstream',
    judge: (result) => {
      const row = result.upstream[0];
      if (row === undefined) return undefined;
      return {
        measured: `${row.cachedUpstreamRequests} requests, ${row.serverPeakRssMB.toFixed(0)} MB, ${
          mbPerSecond(row.zipBytes, row.cachedSeconds)
        } MB/s`,
        met: row.cachedUpstreamRequests === 0 && row.serverPeakRssMB <= 150,
      };
    },
  },
];

/** Each target against `result`: met, not met, or not run (`--only`). */
export function verdicts(result: BenchResult): Verdict[] {
  const parts = result.parts ?? PARTS;
  return TARGETS.map(({ target, part, judge }) => {
    const judged = parts.includes(part) ? judge(result) : undefined;
    return { target, part, measured: judged?.measured ?? '-', met: judged?.met };
  });
}

export function verdictLabel(verdict: Verdict): string {
  if (verdict.measured === '-') return 'not run';
  if (verdict.met === undefined) return '';
  return verdict.met ? 'met' : 'NOT MET';
}

/** How the report is laid out: within `REPORT_WIDTH` columns, or `--wide` Markdown tables. */
export interface ReportOptions {
  readonly wide?: boolean;
}

/** The whole report: the details, then the verdict table. */
export function formatReport(result: BenchResult, options: ReportOptions = {}): string {
  return `${formatDetails(result, options)}\n\n${verdictTable(result, options)}\n`;
}

/** A heading, the modules, and the tables of each part that ran. */
export function formatDetails(result: BenchResult, options: ReportOptions = {}): string {
  const style = tableStyle(options);
  return [
    heading(result),
    table(
      ['module', 'files', 'MB', 'repository'],
      result.modules.map((m) => [
        m.name,
        String(m.files),
        m.megabytes.toFixed(1),
        m.cached === true ? 'from bench/.cache' : 'generated',
      ]),
      style,
    ),
    ...(result.zips.length === 0 ? [] : options.wide ? [wideZipTable(result.zips)] : narrowZipTables(result.zips)),
    ...(result.downloads.length === 0 ? [] : [downloadTable(result, style)]),
    ...(result.loads.length === 0 ? [] : [loadTable(result, style)]),
    ...(result.upstream.length === 0 ? [] : [upstreamTable(result, style)]),
  ].join('\n\n');
}

/** Each target, what was measured, and met or not. */
export function verdictTable(result: BenchResult, options: ReportOptions = {}): string {
  const title = result.quick
    ? 'Verdict (a --quick run: a tenth of the sizes, so only indicative of the targets)'
    : 'Verdict (the targets of README "Performance")';
  const rows = verdicts(result).map((v) => [v.target, v.measured, verdictLabel(v)]);
  return titled(title, table(['target', 'measured', ''], rows, tableStyle(options)), tableStyle(options));
}

export function tableStyle(options: ReportOptions): TableStyle {
  return options.wide ? {} : { width: REPORT_WIDTH };
}

function heading(result: BenchResult): string {
  const { machine } = result;
  return `git-goproxy benchmark${result.quick ? ' (--quick)' : ''}, ${
    result.date.slice(0, 16).replace('T', ' ')
  } UTC, ${result.seconds.toFixed(0)} s\n${machine.cpus} cores (${
    machine.cpuModel ?? 'unknown cpu'
  }), ${machine.memoryGB} GB, Node ${machine.node}, ${machine.git}`;
}

/** The zip part in three tables of at most 100 columns: throughput, first byte and memory, the zip cache. */
function narrowZipTables(zips: readonly ZipRow[]): string[] {
  const style = { width: REPORT_WIDTH };
  const key = (row: ZipRow) => [row.module, row.level];
  return [
    titled(
      "Zip streaming, MB/s (git archive into /dev/null with the server's environment, and into a pipe; the server's first stream, hashed for the pin, and its repeat; ratio: repeat against git archive)",
      table(
        ['module', 'level', 'zip MB', 'git', 'git→pipe', 'first', 'repeat', 'ratio'],
        zips.map((row) => [
          ...key(row),
          (row.zipBytes / MB).toFixed(1),
          mbPerSecond(row.zipBytes, row.gitTunedSeconds),
          mbPerSecond(row.zipBytes, row.gitPipeSeconds),
          mbPerSecond(row.zipBytes, row.serverSeconds),
          mbPerSecond(row.zipBytes, row.repeatSeconds),
          ratio(row.gitTunedSeconds, row.repeatSeconds),
        ]),
        style,
      ),
      style,
    ),
    titled(
      'First byte and server memory (peak RSS over both streams, and over the repeat)',
      table(
        ['module', 'level', 'first byte ms', 'repeat ms', 'RSS MB', 'repeat RSS MB'],
        zips.map((row) => [
          ...key(row),
          row.firstTtfbMs.toFixed(0),
          row.ttfbMs.toFixed(0),
          row.serverPeakRssMB.toFixed(0),
          row.repeatPeakRssMB.toFixed(0),
        ]),
        style,
      ),
      style,
    ),
    titled(
      'The zip cache (the build, then the zip from disk)',
      table(
        ['module', 'level', 'build s', 'cached s', 'cached MB/s', 'against git'],
        zips.map((row) => [
          ...key(row),
          row.cacheBuildSeconds.toFixed(2),
          row.cachedSeconds.toFixed(2),
          mbPerSecond(row.zipBytes, row.cachedSeconds),
          ratio(row.gitTunedSeconds, row.cachedSeconds),
        ]),
        style,
      ),
      style,
    ),
  ];
}

/** The zip part as one Markdown table (bench/README.md's). */
function wideZipTable(zips: readonly ZipRow[]): string {
  return `Zip streaming (git archive to /dev/null: plain environment, and the server's git environment; git(env) into a pipe read by Node;
server over loopback HTTP: first stream listed, planned and hashed for the pin, repeat neither; with the zip cache: build, then from
disk; ratios are git(env) s / server s, and git→pipe s / server s; RSS: peak over both streams, and over the repeat)
${
    table(
      [
        'module',
        'level',
        'zip MB',
        'git s',
        'git(env) s',
        'git→pipe s',
        'first s',
        'repeat s',
        'repeat MB/s',
        'first vs git(env)',
        'repeat vs git(env)',
        'repeat vs git→pipe',
        'TTFB ms first/repeat',
        'server RSS MB both/repeat',
        'cache build s',
        'cached s',
        'cached vs git(env)',
      ],
      zips.map((z) => [
        z.module,
        z.level,
        (z.zipBytes / MB).toFixed(1),
        z.gitSeconds?.toFixed(2) ?? '-',
        z.gitTunedSeconds.toFixed(2),
        z.gitPipeSeconds.toFixed(2),
        z.serverSeconds.toFixed(2),
        z.repeatSeconds.toFixed(2),
        mbPerSecond(z.zipBytes, z.repeatSeconds),
        ratio(z.gitTunedSeconds, z.serverSeconds),
        ratio(z.gitTunedSeconds, z.repeatSeconds),
        ratio(z.gitPipeSeconds, z.repeatSeconds),
        `${z.firstTtfbMs.toFixed(0)}/${z.ttfbMs.toFixed(0)}`,
        `${z.serverPeakRssMB.toFixed(0)}/${z.repeatPeakRssMB.toFixed(0)}`,
        z.cacheBuildSeconds.toFixed(2),
        z.cachedSeconds.toFixed(2),
        ratio(z.gitTunedSeconds, z.cachedSeconds),
      ]),
    )
  }`;
}

function downloadTable(result: BenchResult, style: TableStyle): string {
  return titled(
    'go mod download (cold module cache)',
    table(
      ['module', 'direct s', 'proxy s', 'speed-up', 'same h1', 'server RSS MB'],
      result.downloads.map((d) => [
        d.module,
        d.directSeconds.toFixed(1),
        d.proxySeconds.toFixed(1),
        `${(d.directSeconds / d.proxySeconds).toFixed(1)}x`,
        d.sumsEqual ? 'yes' : 'NO',
        d.serverPeakRssMB.toFixed(0),
      ]),
      style,
    ),
    style,
  );
}

function loadTable(result: BenchResult, style: TableStyle): string {
  return titled(
    `Requests per second (keep-alive, closed loop; the median of ${LOAD_ROUNDS} rounds)`,
    table(
      ['op', ...CONCURRENCIES.map((c) => `c=${c}`), 'p99 ms @64', 'errors'],
      [...new Set(result.loads.map((l) => l.op))].map((op) => {
        const rows = result.loads.filter((l) => l.op === op);
        const at64 = rows.find((l) => l.concurrency === 64);
        return [
          op,
          ...CONCURRENCIES.map((c) => rows.find((l) => l.concurrency === c)?.requestsPerSecond.toFixed(0) ?? '-'),
          at64 ? at64.p99Ms.toFixed(1) : '-',
          String(rows.reduce((n, l) => n + l.errors, 0)),
        ];
      }),
      style,
    ),
    style,
  );
}

function upstreamTable(result: BenchResult, style: TableStyle): string {
  return titled(
    `A module from an upstream proxy (${
      result.upstream.map((u) => u.module).join(', ')
    }), MB/s: the upstream directly, best of three; through the server: the first download, into its cache, then from the cache; RSS: peak over both`,
    table(
      ['zip MB', 'upstream', 'first', 'ratio', 'cached', 'ratio', 'RSS MB', 'upstream requests when cached'],
      result.upstream.map((u) => [
        (u.zipBytes / MB).toFixed(0),
        mbPerSecond(u.zipBytes, u.staticSeconds),
        mbPerSecond(u.zipBytes, u.firstSeconds),
        ratio(u.staticSeconds, u.firstSeconds),
        mbPerSecond(u.zipBytes, u.cachedSeconds),
        ratio(u.staticSeconds, u.cachedSeconds),
        u.serverPeakRssMB.toFixed(0),
        String(u.cachedUpstreamRequests),
      ]),
      style,
    ),
    style,
  );
}

/** A section: its title (wrapped to the table's width when there is one), then its table. */
function titled(title: string, body: string, style: TableStyle): string {
  const lines = style.width === undefined ? [title] : wrap(title, style.width);
  return [...lines, body].join('\n');
}

function ratioTarget(
  rows: readonly ZipRow[],
  ratioOf: (row: ZipRow) => number,
  atLeast: number,
): { measured: string; met: boolean } | undefined {
  if (rows.length === 0) return undefined;
  const ratios = rows.map(ratioOf);
  return { measured: `${range(ratios, 2)}x`, met: Math.min(...ratios) >= atLeast };
}

function msTarget(
  rows: readonly ZipRow[],
  msOf: (row: ZipRow) => number,
  atMost: number,
): { measured: string; met: boolean } | undefined {
  if (rows.length === 0) return undefined;
  const ms = rows.map(msOf);
  return { measured: `${range(ms, 0)} ms`, met: Math.max(...ms) <= atMost };
}

/** `low–high` (or one figure when they are equal), with `digits` decimals and thousands separators. */
export function range(values: readonly number[], digits: number): string {
  const format = (value: number) =>
    value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const [low, high] = [format(Math.min(...values)), format(Math.max(...values))];
  return low === high ? low : `${low}–${high}`;
}

function ratio(baselineSeconds: number, seconds: number): string {
  return `${(baselineSeconds / seconds).toFixed(2)}x`;
}

function mbPerSecond(bytes: number, seconds: number): string {
  return megabytesPerSecond(bytes, seconds).toFixed(0);
}
