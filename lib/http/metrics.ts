/**
 * The HTTP layer's own series in `/metrics`: responses by endpoint and status, bytes sent, HTTP
 * cache hits (conditional requests answered 304), and request durations as a histogram. The rest
 * of `/metrics` is registered by the subsystems that own the figures (common/metrics.ts).
 */
import type { MetricsRegistry } from '../common/metrics.ts';
import type { Counter, Histogram } from '../common/metrics.ts';

/** The `Content-Type` of the exposition format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** One finished response, as the metrics count it. */
export interface RequestObservation {
  /** `list`, `latest`, `info`, `mod`, `zip`, `go-get`, `health`, `ready`, `metrics`, `sumdb` or `other`. */
  readonly endpoint: string;
  readonly status: number;
  readonly bytes: number;
  readonly seconds: number;
}

/** Counts finished responses into the series it registers. */
export class RequestMetrics {
  /** Where the series are registered; `/metrics` renders all of it. */
  readonly registry: MetricsRegistry;
  readonly #requests: Counter;
  readonly #bytes: Counter;
  readonly #cacheHits: Counter;
  readonly #durations: Histogram;

  constructor(registry: MetricsRegistry) {
    this.registry = registry;
    this.#requests = registry.counter('git_goproxy_requests_total', 'Responses by endpoint and status.');
    this.#bytes = registry.counter('git_goproxy_response_bytes_total', 'Response body bytes sent, by endpoint.');
    this.#cacheHits = registry.counter(
      'git_goproxy_cache_hits_total',
      'Conditional requests answered 304 Not Modified, by endpoint.',
    );
    this.#durations = registry.histogram(
      'git_goproxy_request_duration_seconds',
      'Time from request to the end of the response, by endpoint (zip: the whole stream).',
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
}
