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

export type { ProxyOptions } from './cli/config.ts';
export type { ProjectConfig } from './access/projects.ts';
export type { TokenConfig, Visibility } from './access/auth.ts';
export type { CompressionLevel } from './git/archive.ts';
export type { Handler, NextFunction } from './http/handler.ts';
export type { LogLevel } from './common/log.ts';

/** A request handler that also owns git processes: call `close()` when the server stops. */
export interface GoProxyHandler extends Handler {
  /** Stops the long-lived git processes (object readers) behind the handler and its metrics. */
  close(): Promise<void>;
  /** Number of projects currently found. */
  readonly projectCount: number;
}

/** Creates the handler; throws a `ConfigError` naming the key when an option is invalid. */
export function createHandler(options: ProxyOptions = {}): GoProxyHandler {
  const resolved = resolveOptions(options);
  if (resolved.logLevel !== undefined) logger.level = resolved.logLevel;
  const service = new ModuleService(resolved);
  const metrics = new Metrics(service.limiter, { tagMismatches: () => service.pins.tagMismatches });
  const handler = makeHandler({
    service,
    tokens: new TokenStore(resolved.tokens),
    log: (error) => logger.error('internal error', { error }),
    observer: { logger, metrics },
    basePath: resolved.basePath,
    compression: resolved.compression,
  });
  const close = async (): Promise<void> => {
    metrics.close();
    await service.close();
  };
  return Object.defineProperties(handler, {
    close: { value: close },
    projectCount: { get: () => service.projects.size },
  }) as GoProxyHandler;
}
