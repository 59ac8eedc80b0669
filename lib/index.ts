/**
 * git-goproxy's public API: `createHandler(options)` returns a `node:http` request handler that
 * serves the GOPROXY protocol (instance-wide and GitLab's per-project API) from bare git repositories.
 *
 *     import { createServer } from 'node:http';
 *     import { createHandler } from 'git-goproxy';
 *     createServer(createHandler({ repos: '/srv/git', moduleHost: 'git.example.com' })).listen(8080);
 */
import type { ProxyOptions } from './config.ts';
import { resolveOptions } from './config.ts';
import { TokenStore } from './auth.ts';
import type { Handler } from './handler.ts';
import { makeHandler } from './handler.ts';
import { ModuleService } from './service.ts';

export type { ProxyOptions, ProjectConfig, TokenConfig, Visibility, CompressionLevel } from './config.ts';
export type { Handler, NextFunction } from './handler.ts';

/** A request handler that also owns git processes: call `close()` when the server stops. */
export interface GoProxyHandler extends Handler {
  /** Stops the long-lived git processes (object readers) behind the handler. */
  close(): Promise<void>;
  /** Number of projects currently found. */
  readonly projectCount: number;
}

/** Creates the handler; throws a `ConfigError` naming the key when an option is invalid. */
export function createHandler(options: ProxyOptions = {}): GoProxyHandler {
  const resolved = resolveOptions(options);
  const service = new ModuleService(resolved);
  const handler = makeHandler({ service, tokens: new TokenStore(resolved.tokens), log: (error) => console.error(error) });
  return Object.defineProperties(handler, {
    close: { value: () => service.close() },
    projectCount: { get: () => service.projects.size },
  }) as GoProxyHandler;
}
