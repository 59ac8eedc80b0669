/**
 * A bound on the responses of one kind that one client has under way at once: zip responses
 * (config `zipStreamsPerClient`) and web pages. A client is its token's name, else its address.
 * One past the bound is `429` with `Retry-After`, so that one client cannot take every git slot,
 * spool byte, connection or page derivation, whatever it does.
 */
import type { ServerResponse } from 'node:http';
import { ProxyError } from '../common/errors.ts';
import { counterValue, gauge, type MetricsRegistry } from '../common/metrics.ts';

/**
 * Web pages one client may have under way at once. A page waits for git and for facts derived once
 * per commit (a tree of 100,000 files, a 16 MiB go.mod): a browser opens a handful at a time.
 */
export const PAGE_VIEWS_PER_CLIENT = 8;

/** Seconds a refused client is told to wait. */
const RETRY_AFTER_SECONDS = 1;

/** What a `ClientLimit` counts: its words in a refusal and its series in `/metrics`. */
export interface ClientLimitKind {
  /** Plural, in the 429's message: `zip downloads`, `page views`. */
  readonly what: string;
  /** The series' name prefix: `git_goproxy_zip_streams`, `git_goproxy_page_views`. */
  readonly metric: string;
  /** What a response is, capitalised, in the series' help: `Zip responses`, `Web pages`. */
  readonly responses: string;
  /** The config key that sets the bound, in the help, when one does. */
  readonly option?: string;
}

/** The zip responses' kind (config `zipStreamsPerClient`). */
export const ZIP_DOWNLOADS: ClientLimitKind = {
  what: 'zip downloads',
  metric: 'git_goproxy_zip_streams',
  responses: 'Zip responses',
  option: 'zipStreamsPerClient',
};

/** The web pages' kind (`PAGE_VIEWS_PER_CLIENT`). */
export const PAGE_VIEWS: ClientLimitKind = {
  what: 'page views',
  metric: 'git_goproxy_page_views',
  responses: 'Web pages',
};

export class ClientLimit {
  readonly perClient: number;
  readonly #kind: ClientLimitKind;
  /** Client → responses it has under way; a client without any has no entry. */
  readonly #streams = new Map<string, number>();
  #total = 0;
  #refused = 0;

  constructor(perClient: number, kind: ClientLimitKind) {
    this.perClient = perClient;
    this.#kind = kind;
  }

  /** Registers its series: the bound per client, responses under way, and those refused. */
  registerMetrics(registry: MetricsRegistry): void {
    const { metric, responses, option } = this.#kind;
    const bound = option ?? 'as many as it may';
    registry.register(() =>
      gauge(
        `${metric}_per_client`,
        `${responses} one client may have under way${option === undefined ? '' : ` (${option})`}.`,
        this.perClient,
      ) +
      gauge(metric, `${responses} under way.`, this.#total) +
      counterValue(
        `${metric}_refused_total`,
        `${responses} refused with 429: the client had ${bound} under way.`,
        this.#refused,
      )
    );
  }

  /**
   * Counts `res` as one of `client`'s responses until it closes; throws a `rate-limited`
   * `ProxyError` (429) when the client already has `perClient` under way.
   */
  enter(client: string, res: ServerResponse): void {
    const count = this.#streams.get(client) ?? 0;
    if (count >= this.perClient) {
      this.#refused++;
      throw new ProxyError(
        'rate-limited',
        `too many ${this.#kind.what} at once from this client (at most ${this.perClient}), retry later`,
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
