/**
 * A bound on the zip responses one client has under way at once (config `zipStreamsPerClient`): a
 * client is its token's name, else its address. One past the bound is `429` with `Retry-After`, so
 * that one client cannot take every git slot, spool byte and connection, whatever it does.
 */
import type { ServerResponse } from 'node:http';
import { ProxyError } from '../common/errors.ts';
import { counterValue, gauge, type MetricsRegistry } from '../common/metrics.ts';

/** Seconds a refused client is told to wait. */
const RETRY_AFTER_SECONDS = 1;

export class ZipStreamLimit {
  readonly perClient: number;
  /** Client → zip responses it has under way; a client without any has no entry. */
  readonly #streams = new Map<string, number>();
  #total = 0;
  #refused = 0;

  constructor(perClient: number) {
    this.perClient = perClient;
  }

  /** Registers its series: the bound per client, zip responses under way, and those refused. */
  registerMetrics(registry: MetricsRegistry): void {
    registry.register(() =>
      gauge(
        'git_goproxy_zip_streams_per_client',
        'Zip responses one client may have under way (zipStreamsPerClient).',
        this.perClient,
      ) +
      gauge('git_goproxy_zip_streams', 'Zip responses under way.', this.#total) +
      counterValue(
        'git_goproxy_zip_streams_refused_total',
        'Zip requests refused with 429: the client had zipStreamsPerClient under way.',
        this.#refused,
      )
    );
  }

  /**
   * Counts `res` as one of `client`'s zip responses until it closes; throws a `rate-limited`
   * `ProxyError` (429) when the client already has `perClient` under way.
   */
  enter(client: string, res: ServerResponse): void {
    const count = this.#streams.get(client) ?? 0;
    if (count >= this.perClient) {
      this.#refused++;
      throw new ProxyError(
        'rate-limited',
        `too many zip downloads at once from this client (at most ${this.perClient}), retry later`,
        RETRY_AFTER_SECONDS,
      );
    }
    this.#streams.set(client, count + 1);
    this.#total++;
    res.once('close', () => this.#leave(client));
  }

  #leave(client: string): void {
    const count = (this.#streams.get(client) ?? 1) - 1;
    if (count === 0) this.#streams.delete(client);
    else this.#streams.set(client, count);
    this.#total--;
  }
}
