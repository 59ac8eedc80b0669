/**
 * `/metrics` in the Prometheus text exposition format (version 0.0.4): requests by endpoint and
 * status, bytes sent, request and git durations as histograms, git processes running and queued,
 * HTTP cache hits (conditional requests answered 304), tags found moved from their pins, new
 * pins refused to a client that made too many, and config reloads applied or refused.
 *
 * Counters live in the process that serves the request: with `--workers N` each worker keeps its
 * own, and Prometheus sums the series of all scraped targets.
 */
import type { ChildProcess } from 'node:child_process';
import { liveChildCount, onChildExit } from '../git/children.ts';
import type { PinStoreHealth } from '../pins/store.ts';
import type { HelperPool } from '../git/helper-pool.ts';
import type { Limiter } from '../git/limiter.ts';
import type { ZipSpoolStats } from '../zip/spool.ts';
import type { ZipStreamStats } from './zip-streams.ts';
import type { DeadlineStats } from './deadline.ts';
import type { UpstreamStats } from '../upstream/upstream-modules.ts';

/** The `Content-Type` of the exposition format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Readonly<Record<string, string>>;

/** Upper bounds (seconds) of the duration buckets: 1 ms to 2 minutes. */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

function labelText(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

/** Backslash, double quote and newline are the characters a label value must escape. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function header(name: string, type: string, help: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
}

/** A counter with labels: one series per distinct label set. */
class Counter {
  readonly #name: string;
  readonly #help: string;
  readonly #series = new Map<string, number>();

  constructor(name: string, help: string) {
    this.#name = name;
    this.#help = help;
  }

  add(labels: Labels, amount = 1): void {
    const key = labelText(labels);
    this.#series.set(key, (this.#series.get(key) ?? 0) + amount);
  }

  render(): string {
    const lines = [...this.#series].map(([labels, value]) => `${this.#name}${labels} ${value}\n`);
    return header(this.#name, 'counter', this.#help) + lines.join('');
  }
}

interface HistogramSeries {
  readonly labels: Labels;
  readonly counts: number[];
  sum: number;
  count: number;
}

/** A histogram with labels over fixed buckets (cumulative when rendered, as the format wants). */
class Histogram {
  readonly #name: string;
  readonly #help: string;
  readonly #buckets: readonly number[];
  readonly #series = new Map<string, HistogramSeries>();

  constructor(name: string, help: string, buckets: readonly number[]) {
    this.#name = name;
    this.#help = help;
    this.#buckets = buckets;
  }

  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { labels, counts: this.#buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    const bucket = this.#buckets.findIndex((bound) => value <= bound);
    if (bucket >= 0) series.counts[bucket]++;
    series.sum += value;
    series.count++;
  }

  render(): string {
    let text = header(this.#name, 'histogram', this.#help);
    for (const series of this.#series.values()) {
      let cumulative = 0;
      for (const [i, bound] of this.#buckets.entries()) {
        cumulative += series.counts[i];
        text += `${this.#name}_bucket${labelText({ ...series.labels, le: String(bound) })} ${cumulative}\n`;
      }
      text += `${this.#name}_bucket${labelText({ ...series.labels, le: '+Inf' })} ${series.count}\n`;
      text += `${this.#name}_sum${labelText(series.labels)} ${series.sum}\n`;
      text += `${this.#name}_count${labelText(series.labels)} ${series.count}\n`;
    }
    return text;
  }
}

function gauge(name: string, help: string, value: number): string {
  return `${header(name, 'gauge', help)}${name} ${value}\n`;
}

/** A counter kept elsewhere, rendered from its current value. */
function counterValue(name: string, help: string, value: number): string {
  return `${header(name, 'counter', help)}${name} ${value}\n`;
}

/** Counters owned by other parts of the server, read when `/metrics` is rendered. */
export interface ExternalCounters {
  /** Requests that found a pinned version's tag moved or deleted (`PinGuard.tagMismatches`). */
  readonly tagMismatches: () => number;
  /** New pins refused with 429 because their client made too many (`PinGuard.newPinsRefused`). */
  readonly newPinsRefused: () => number;
  /** Projects in the index, scans of `repos` completed, and the last one's duration (access/projects.ts). */
  readonly projects: () => number;
  readonly projectScans: () => number;
  readonly lastScanSeconds: () => number;
  /** A pin store that lives elsewhere: its availability, failed calls and time spent (`PinStore.health`). */
  readonly pinStore?: () => PinStoreHealth | undefined;
  /** The zip spool's files and bytes (`ZipSpool.stats`). */
  readonly zipSpool?: () => ZipSpoolStats;
  /** Zip responses under way and refused (`ZipStreamLimit.stats`). */
  readonly zipStreams?: () => ZipStreamStats;
  /** Answers refused because their work passed the deadline, and those whose work still runs (`AnswerDeadline.stats`). */
  readonly deadlines?: () => DeadlineStats;
  /** The upstream proxies and their cache, when `upstream` is set. */
  readonly upstream?: () => UpstreamStats;
  /** The bound on long-lived `cat-file` helpers. */
  readonly objectReaders: Pick<HelperPool, 'live' | 'maxHelpers' | 'waiting' | 'evictions'>;
}

/** One finished response, as the metrics count it. */
export interface RequestObservation {
  /** `list`, `latest`, `info`, `mod`, `zip`, `go-get`, `health`, `ready`, `metrics`, `sumdb` or `other`. */
  readonly endpoint: string;
  readonly status: number;
  readonly bytes: number;
  readonly seconds: number;
}

/** The metrics of one handler. Call `close()` to stop observing git children. */
export class Metrics {
  readonly #limiter: Limiter;
  readonly #external: ExternalCounters | undefined;
  readonly #requests = new Counter('git_goproxy_requests_total', 'Responses by endpoint and status.');
  readonly #bytes = new Counter('git_goproxy_response_bytes_total', 'Response body bytes sent, by endpoint.');
  readonly #cacheHits = new Counter(
    'git_goproxy_cache_hits_total',
    'Conditional requests answered 304 Not Modified, by endpoint.',
  );
  readonly #durations = new Histogram(
    'git_goproxy_request_duration_seconds',
    'Time from request to the end of the response, by endpoint (zip: the whole stream).',
    DURATION_BUCKETS,
  );
  readonly #reloads = new Counter(
    'git_goproxy_config_reloads_total',
    'Config reloads, by result: applied, or rejected (the previous config kept serving).',
  );
  readonly #gitDurations = new Histogram(
    'git_goproxy_git_duration_seconds',
    'Run time of git child processes, by git subcommand.',
    DURATION_BUCKETS,
  );
  readonly #stopObservingGit: () => void;

  constructor(limiter: Limiter, external?: ExternalCounters) {
    this.#limiter = limiter;
    this.#external = external;
    this.#stopObservingGit = onChildExit((child, ms) =>
      this.#gitDurations.observe({ command: gitSubcommand(child) }, ms / 1000)
    );
  }

  /** Counts a finished (or abandoned) response. */
  observeRequest(observation: RequestObservation): void {
    const { endpoint, status } = observation;
    this.#requests.add({ endpoint, status: String(status) });
    this.#bytes.add({ endpoint }, observation.bytes);
    if (status === 304) this.#cacheHits.add({ endpoint });
    this.#durations.observe({ endpoint }, observation.seconds);
  }

  /** Counts a config reload. */
  observeReload(result: 'applied' | 'rejected'): void {
    this.#reloads.add({ result });
  }

  /** The exposition text. */
  render(): string {
    return [
      this.#requests.render(),
      this.#bytes.render(),
      this.#cacheHits.render(),
      this.#durations.render(),
      this.#gitDurations.render(),
      this.#reloads.render(),
      gauge('git_goproxy_git_slots', 'git commands allowed to run at once (maxGit).', this.#limiter.concurrency),
      gauge('git_goproxy_git_running', 'git commands holding a slot of the limiter.', this.#limiter.running),
      gauge('git_goproxy_git_queued', 'git commands waiting for a slot of the limiter.', this.#limiter.queued),
      gauge(
        'git_goproxy_git_processes',
        'Live git child processes, long-lived object readers included.',
        liveChildCount(),
      ),
      this.#external === undefined ? '' : renderExternal(this.#external),
      this.#renderZipSpool(),
      this.#renderZipStreams(),
      renderUpstream(this.#external?.upstream?.()),
      this.#renderDeadlines(),
    ].join('');
  }

  #renderDeadlines(): string {
    const deadlines = this.#external?.deadlines?.();
    if (deadlines === undefined) return '';
    return [
      counterValue(
        'git_goproxy_answers_past_deadline_total',
        'Requests answered 503 because the file system or git did not answer within answerDeadline.',
        deadlines.exceeded,
      ),
      gauge(
        'git_goproxy_answers_overdue',
        'Of those, the ones whose work still waits for the file system or git (then /-/health fails).',
        deadlines.overdue,
      ),
    ].join('');
  }

  #renderZipSpool(): string {
    const spool = this.#external?.zipSpool?.();
    if (spool === undefined) return '';
    return [
      gauge(
        'git_goproxy_zip_spool_max_bytes',
        'Most bytes spool files may hold at once (zipSpoolMiB).',
        spool.maxBytes,
      ),
      gauge('git_goproxy_zip_spool_files', 'Spool files of zips whose clients fell behind git.', spool.files),
      gauge('git_goproxy_zip_spool_bytes', 'Bytes in spool files (bounded by zipSpoolMiB).', spool.bytes),
      counterValue(
        'git_goproxy_zip_spooled_total',
        'Zips spooled because their client fell behind git.',
        spool.spooled,
      ),
      counterValue(
        'git_goproxy_zip_spool_full_total',
        "Spooled zips that reached zipSpoolMiB and went on at their client's pace.",
        spool.full,
      ),
    ].join('');
  }

  #renderZipStreams(): string {
    const streams = this.#external?.zipStreams?.();
    if (streams === undefined) return '';
    return [
      gauge(
        'git_goproxy_zip_streams_per_client',
        'Zip responses one client may have under way (zipStreamsPerClient).',
        streams.perClient,
      ),
      gauge('git_goproxy_zip_streams', 'Zip responses under way.', streams.streams),
      counterValue(
        'git_goproxy_zip_streams_refused_total',
        'Zip requests refused with 429: the client had zipStreamsPerClient under way.',
        streams.refused,
      ),
    ].join('');
  }

  close(): void {
    this.#stopObservingGit();
  }
}

function renderExternal(external: ExternalCounters): string {
  const helpers = external.objectReaders;
  return [
    counterValue(
      'git_goproxy_pin_tag_mismatches_total',
      "Requests that found a served version's tag moved or deleted.",
      external.tagMismatches(),
    ),
    counterValue(
      'git_goproxy_new_pins_refused_total',
      'New pins refused with 429 because their client pinned too many versions in a minute.',
      external.newPinsRefused(),
    ),
    gauge(
      'git_goproxy_projects',
      'Projects found by the last completed scan of repos (plus configured ones elsewhere).',
      external.projects(),
    ),
    counterValue(
      'git_goproxy_project_scans_total',
      'Scans of repos completed (start-up, interval, watch, SIGHUP).',
      external.projectScans(),
    ),
    gauge(
      'git_goproxy_project_scan_seconds',
      'Duration of the last completed scan of repos.',
      external.lastScanSeconds(),
    ),
    renderPinStore(external.pinStore?.()),
    gauge(
      'git_goproxy_object_readers',
      'Long-lived git cat-file helpers running (one per recently used repository).',
      helpers.live,
    ),
    gauge('git_goproxy_object_readers_max', 'Most cat-file helpers at once (maxObjectReaders).', helpers.maxHelpers),
    gauge('git_goproxy_object_readers_waiting', 'Requests waiting for a cat-file helper to go idle.', helpers.waiting),
    counterValue(
      'git_goproxy_object_reader_evictions_total',
      'cat-file helpers stopped to make room for another repository.',
      helpers.evictions,
    ),
  ].join('');
}

/** The upstream proxies' lines, when there are upstream proxies. */
function renderUpstream(stats: UpstreamStats | undefined): string {
  if (stats === undefined) return '';
  const requests = 'git_goproxy_upstream_requests_total';
  const refusals = 'git_goproxy_upstream_refusals_total';
  return [
    header(requests, 'counter', 'Requests to the upstream proxies, by result: ok, not-found (404/410), failed.'),
    `${requests}{result="ok"} ${stats.requests.ok}\n`,
    `${requests}{result="not-found"} ${stats.requests.notFound}\n`,
    `${requests}{result="failed"} ${stats.requests.failed}\n`,
    header(
      refusals,
      'counter',
      'Module paths and checksum lookups not sent upstream because they are private, by reason.',
    ),
    ...Object.entries(stats.refusals).map(([reason, count]) => `${refusals}{reason="${reason}"} ${count}\n`),
    counterValue(
      'git_goproxy_upstream_cache_hits_total',
      'Immutable upstream files (.info, .mod, .zip) served from the upstream cache.',
      stats.cacheHits,
    ),
    counterValue(
      'git_goproxy_upstream_cache_misses_total',
      'Immutable upstream files fetched from an upstream (or joined a download under way).',
      stats.cacheMisses,
    ),
    gauge('git_goproxy_upstream_cache_bytes', 'Bytes of complete files in the upstream cache.', stats.cacheBytes),
    gauge(
      'git_goproxy_upstream_cache_max_bytes',
      'Bound of the upstream cache (upstreamCacheMiB).',
      stats.cacheMaxBytes,
    ),
    counterValue(
      'git_goproxy_upstream_stale_answers_total',
      'list, @latest and query answers served stale because every upstream failed.',
      stats.staleAnswers,
    ),
    counterValue(
      'git_goproxy_upstream_pin_refusals_total',
      'Upstream answers refused because they differ from what this proxy served before.',
      stats.pinRefusals,
    ),
  ].join('');
}

/** The pin store's lines, for a store that lives elsewhere (nothing for the pins file). */
function renderPinStore(health: PinStoreHealth | undefined): string {
  if (health === undefined) return '';
  return (
    gauge(
      'git_goproxy_pin_store_up',
      'Whether the pin store (PostgreSQL) can be reached: 1 or 0.',
      health.available ? 1 : 0,
    ) +
    counterValue('git_goproxy_pin_store_errors_total', 'Pin store calls that failed or timed out.', health.errors) +
    counterValue(
      'git_goproxy_pin_store_calls_total',
      'Pin store calls made (pins kept in memory need none).',
      health.calls,
    ) +
    counterValue('git_goproxy_pin_store_seconds_total', 'Seconds spent in pin store calls.', health.seconds)
  );
}

/** `git --no-pager --git-dir=… -c k=v archive …` → `archive`. */
function gitSubcommand(child: ChildProcess): string {
  const args = child.spawnargs.slice(1);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return 'unknown';
}
