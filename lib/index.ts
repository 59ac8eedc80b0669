/**
 * git-goproxy's public API: `createHandler(options)` returns a `node:http` request handler that
 * serves the GOPROXY protocol (instance-wide and GitLab's per-project API) from bare git repositories.
 *
 *     import { createServer } from 'node:http';
 *     import { createHandler } from 'git-goproxy';
 *     createServer(createHandler({ repos: '/srv/git', moduleHost: 'git.example.com' })).listen(8080);
 */
import type { ProxyOptions } from './cli/config.ts';
import { resolveOptions } from './cli/config.ts';
import { TokenStore } from './access/auth.ts';
import type { Handler } from './http/handler.ts';
import { makeHandler } from './http/handler.ts';
import { logger } from './common/log.ts';
import { Metrics } from './http/metrics.ts';
import { ModuleService } from './access/module-service.ts';
import { ZipStreamLimit } from './http/zip-streams.ts';

export type { ProxyOptions } from './cli/config.ts';
export type { ProjectConfig } from './access/projects.ts';
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
}

/** Creates the handler; throws a `ConfigError` naming the key when an option is invalid. */
export function createHandler(options: ProxyOptions = {}): GoProxyHandler {
  const resolved = resolveOptions(options);
  if (resolved.logLevel !== undefined) logger.level = resolved.logLevel;
  const service = new ModuleService(resolved);
  service.projects.keepCurrent();
  void service.reportShadowedModules();
  const { projects } = service;
  const zipStreams = new ZipStreamLimit(resolved.zipStreamsPerClient);
  const metrics = new Metrics(service.limiter, {
    tagMismatches: () => service.pins.tagMismatches,
    newPinsRefused: () => service.pins.newPinsRefused,
    projects: () => projects.size,
    projectScans: () => projects.scans,
    lastScanSeconds: () => projects.lastScanSeconds,
    pinStore: () => service.pins.store.health,
    zipSpool: () => service.zipSpool.stats,
    zipStreams: () => zipStreams.stats,
    objectReaders: service.objectReaders,
  });
  const handler = makeHandler({
    service,
    tokens: new TokenStore(resolved.tokens),
    log: (error) => logger.error('internal error', { error }),
    observer: { logger, metrics },
    basePath: resolved.basePath,
    compression: resolved.compression,
    zipStreams,
  });
  const close = async (): Promise<void> => {
    metrics.close();
    await service.close();
  };
  return Object.defineProperties(handler, {
    close: { value: close },
    projectCount: { get: () => projects.size },
    ready: { value: projects.ready },
    rescan: { value: () => projects.rescan() },
  }) as GoProxyHandler;
}
