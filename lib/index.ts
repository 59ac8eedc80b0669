/**
 * git-goproxy's public API: `createHandler(options)` returns a `node:http` request handler that
 * serves the GOPROXY protocol (instance-wide and GitLab's per-project API) from bare git repositories.
 *
 *     import { createServer } from 'node:http';
 *     import { createHandler } from 'git-goproxy';
 *     createServer(createHandler({ repos: '/srv/git', moduleHost: 'git.example.com' })).listen(8080);
 *
 * `handler.reload(options)` applies new options to the running handler: tokens, projects, groups
 * and visibility take effect for the next request; responses under way go on as they started.
 */
import type { ProxyOptions, ReloadOutcome, ResolvedOptions } from './cli/config.ts';
import { resolveOptions, restartOptionsChanged } from './cli/config.ts';
import { ConfigError } from './common/errors.ts';
import type { Handler } from './http/handler.ts';
import { makeHandler } from './http/handler.ts';
import { logger } from './common/log.ts';
import { RequestMetrics } from './http/metrics.ts';
import { type Counter, MetricsRegistry } from './common/metrics.ts';
import { ModuleService } from './access/module-service.ts';
import type { ProxySetup } from './http/go-env.ts';
import { ClientLimit, PAGE_VIEWS, PAGE_VIEWS_PER_CLIENT, ZIP_DOWNLOADS } from './http/client-limit.ts';
import { AnswerDeadline } from './http/deadline.ts';

export type { ProxyOptions, ReloadOutcome } from './cli/config.ts';
export type { ProjectConfig } from './access/projects.ts';
export type { MirrorConfig } from './access/module-service.ts';
export type { RemoteCredentials, SharedCredentials } from './mirrors/credentials.ts';
export type { GroupConfig } from './access/groups.ts';
export type { TokenConfig, Visibility } from './access/auth.ts';
export type { CompressionLevel } from './git/archive.ts';
export type { Handler, NextFunction } from './http/handler.ts';
export type { LogLevel } from './common/log.ts';

/** A request handler that also owns git processes: call `close()` when the server stops. */
export interface GoProxyHandler extends Handler {
  /** Stops discovery (its interval and watches), the long-lived git processes (object readers) and the metrics. */
  close(): Promise<void>;
  /** Number of projects currently found. */
  readonly projectCount: number;
  /**
   * Resolves when the first scan of `repos` has completed. Requests that arrive before wait for
   * it (and `/-/ready` answers 503); listen after it to start with every project known.
   */
  readonly ready: Promise<void>;
  /** Scans `repos` again now; resolves when that scan's projects are served (what SIGHUP does). */
  rescan(): Promise<void>;
  /**
   * Applies new options without dropping a connection or a download under way: `tokens`,
   * `projects`, `groups`, `defaultVisibility`, `moduleHost` and `logLevel` are in force, together,
   * when it resolves (built from the last scan of `repos`, which is not read again). The other
   * options keep the values the handler was created with and are listed in `restartNeeded` when
   * they differ. Invalid options (a `ConfigError` naming the key, also when thrown by `options`
   * given as a function) reject and change nothing. Counted in `/metrics`
   * (`git_goproxy_config_reloads_total{result="applied"|"rejected"}`).
   */
  reload(options: ProxyOptions | (() => ProxyOptions)): Promise<ReloadOutcome>;
}

/** Creates the handler; throws a `ConfigError` naming the key when an option is invalid. */
export function createHandler(options: ProxyOptions = {}): GoProxyHandler {
  const resolved = resolveOptions(options);
  if (resolved.logLevel !== undefined) logger.level = resolved.logLevel;
  const service = new ModuleService(resolved);
  service.projects.keepCurrent();
  service.mirrors.start();
  service.reportShadowedModules();
  const { projects } = service;
  const metrics = new MetricsRegistry();
  const requests = new RequestMetrics(metrics);
  const reloads = metrics.counter(
    'git_goproxy_config_reloads_total',
    'Config reloads, by result: applied, or rejected (the previous config kept serving).',
  );
  service.registerMetrics(metrics);
  const zipStreams = new ClientLimit(resolved.zipStreamsPerClient, ZIP_DOWNLOADS);
  zipStreams.registerMetrics(metrics);
  const pageViews = new ClientLimit(PAGE_VIEWS_PER_CLIENT, PAGE_VIEWS);
  pageViews.registerMetrics(metrics);
  const deadline = new AnswerDeadline(resolved.answerDeadline);
  deadline.registerMetrics(metrics);
  const handler = makeHandler({
    service,
    log: (error) => logger.error('internal error', { error }),
    observer: { logger, metrics: requests },
    basePath: resolved.basePath,
    compression: resolved.compression,
    zipStreams,
    deadline,
    pageViews,
    setup: proxySetup(resolved),
  });
  return Object.defineProperties(handler, {
    close: { value: () => service.close() },
    reload: { value: reloader(resolved, service, reloads) },
    projectCount: { get: () => projects.size },
    ready: { value: service.ready },
    rescan: { value: () => projects.rescan() },
  }) as GoProxyHandler;
}

/** What the go command settings the server suggests depend on. */
export function proxySetup(options: ResolvedOptions): ProxySetup {
  return { upstream: options.upstream.length > 0, sumdbs: Object.keys(options.sumdbs), private: options.private };
}

/**
 * `handler.reload` of a handler made with `created`: puts the live options in force in the service
 * (mirrors, then projects, tokens and group ids together) and the log level; counts each call in
 * `reloads`.
 */
function reloader(created: ResolvedOptions, service: ModuleService, reloads: Counter): GoProxyHandler['reload'] {
  let logLevel = created.logLevel;
  return async (next) => {
    let options: ResolvedOptions;
    try {
      options = resolveOptions(typeof next === 'function' ? next() : next);
      await service.reconfigure(options);
    } catch (error) {
      if (error instanceof ConfigError) reloads.add({ result: 'rejected' });
      throw error;
    }
    if (options.logLevel !== logLevel) logger.level = options.logLevel ?? 'info';
    logLevel = options.logLevel;
    reloads.add({ result: 'applied' });
    // The fixed options stay as created: compared with those, a change is reported until a restart.
    return { restartNeeded: restartOptionsChanged(created, options) };
  };
}
