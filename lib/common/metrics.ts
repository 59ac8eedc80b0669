/**
 * The metrics registry, in the Prometheus text exposition format (version 0.0.4). Each subsystem
 * registers what it exports (`registerMetrics(registry)` on the git limiter, the pin guard, the
 * project index, the zip spool…): its own counters and histograms, kept here, or a collector that
 * renders its current figures when `/metrics` is rendered. `/metrics` is `render()`: the series in
 * the order they were registered.
 *
 * Counters live in the process that serves the request: with `--workers N` each worker keeps its
 * own, and Prometheus sums the series of all scraped targets.
 */

type Labels = Readonly<Record<string, string>>;

/** Upper bounds (seconds) of the duration buckets: 1 ms to 2 minutes. */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Renders a subsystem's metric families from its current figures. */
export type MetricsCollector = () => string;

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

/** The `# HELP` and `# TYPE` lines of a counter whose labelled series the caller writes. */
export function counterHeader(name: string, help: string): string {
  return header(name, 'counter', help);
}

/** A gauge without labels, from its current value. */
export function gauge(name: string, help: string, value: number): string {
  return `${header(name, 'gauge', help)}${name} ${value}\n`;
}

/** A counter without labels kept elsewhere, from its current value. */
export function counterValue(name: string, help: string, value: number): string {
  return `${header(name, 'counter', help)}${name} ${value}\n`;
}

/** A gauge or counter with one series per label set, from figures kept elsewhere. */
export function labelledValues(
  name: string,
  type: 'gauge' | 'counter',
  help: string,
  rows: ReadonlyArray<readonly [Labels, number]>,
): string {
  return header(name, type, help) + rows.map(([labels, value]) => `${name}${labelText(labels)} ${value}\n`).join('');
}

/** A counter with labels: one series per distinct label set. */
export class Counter {
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
export class Histogram {
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
    if (bucket >= 0) series.counts[bucket]!++;
    series.sum += value;
    series.count++;
  }

  render(): string {
    let text = header(this.#name, 'histogram', this.#help);
    for (const series of this.#series.values()) {
      let cumulative = 0;
      for (const [i, bound] of this.#buckets.entries()) {
        cumulative += series.counts[i]!;
        text += `${this.#name}_bucket${labelText({ ...series.labels, le: String(bound) })} ${cumulative}\n`;
      }
      text += `${this.#name}_bucket${labelText({ ...series.labels, le: '+Inf' })} ${series.count}\n`;
      text += `${this.#name}_sum${labelText(series.labels)} ${series.sum}\n`;
      text += `${this.#name}_count${labelText(series.labels)} ${series.count}\n`;
    }
    return text;
  }
}

/** The metrics of one handler: what its subsystems registered. */
export class MetricsRegistry {
  readonly #collectors: MetricsCollector[] = [];

  /** A counter with labels, kept here and rendered with the rest. */
  counter(name: string, help: string): Counter {
    const counter = new Counter(name, help);
    this.register(() => counter.render());
    return counter;
  }

  /** A histogram with labels over `buckets` (default: request-like durations), kept here. */
  histogram(name: string, help: string, buckets: readonly number[] = DURATION_BUCKETS): Histogram {
    const histogram = new Histogram(name, help, buckets);
    this.register(() => histogram.render());
    return histogram;
  }

  /** Adds families rendered from a subsystem's current figures each time `/metrics` is rendered. */
  register(collector: MetricsCollector): void {
    this.#collectors.push(collector);
  }

  /** The exposition text. */
  render(): string {
    return this.#collectors.map((collect) => collect()).join('');
  }
}
