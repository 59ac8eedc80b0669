#!/usr/bin/env node
/**
 * The command line: `node lib/server.js [flags]` runs the proxy; `--help` lists flags and
 * environment variables. A thin layer over `createHandler()`: flags and environment → options →
 * `http.createServer`, and signals for a clean stop.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ServerConfig } from './config.ts';
import { ConfigError, DEFAULT_LISTEN, DEFAULT_MODULE_HOST, loadConfigFile, parseListen } from './config.ts';
import { createHandler } from './index.ts';
import { pinsCommand } from './pins-cli.ts';
import { runTokenCommand } from './tokens.ts';

const USAGE = `Usage: node lib/server.js [flags]
       node lib/server.js token create|list|revoke …   (access tokens: token --help)

Serves Go modules from bare git repositories (GOPROXY protocol and GitLab's Go Proxy API).

Flags (each also read from the environment variable shown):
  --repos DIR          directory searched for bare repositories      GIT_GOPROXY_REPOS   (default ./repos)
  --listen HOST:PORT   address to listen on                          GIT_GOPROXY_LISTEN  (default ${DEFAULT_LISTEN})
  --module-host HOST   host part of module paths                     GIT_GOPROXY_MODULE_HOST (default ${DEFAULT_MODULE_HOST})
  --config FILE        JSON config file (see README "Configuration") GIT_GOPROXY_CONFIG
  --data DIR           pins and other state (default REPOS/.git-goproxy) GIT_GOPROXY_DATA
  --help               print this help

Flags override the environment, which overrides the config file.

Commands (same flags):
  pins                 list the pinned versions (README "Versions are immutable")
  pins verify          recompute every pinned version's hashes from git; exit 1 if any differ
`;

const FLAGS = {
  repos: { type: 'string', env: 'GIT_GOPROXY_REPOS' },
  listen: { type: 'string', env: 'GIT_GOPROXY_LISTEN' },
  'module-host': { type: 'string', env: 'GIT_GOPROXY_MODULE_HOST' },
  config: { type: 'string', env: 'GIT_GOPROXY_CONFIG' },
  data: { type: 'string', env: 'GIT_GOPROXY_DATA' },
  help: { type: 'boolean' },
} as const;

function fail(message: string): never {
  process.stderr.write(`git-goproxy: ${message}\n`);
  process.exit(2);
}

/** Flags, then environment, then config file. */
function readConfig(argv: string[]): ServerConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false }));
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const setting = (flag: keyof typeof FLAGS & string): string | undefined => {
    const value = values[flag];
    if (typeof value === 'string') return value;
    const env = 'env' in FLAGS[flag] ? process.env[(FLAGS[flag] as { env: string }).env] : undefined;
    return env === '' ? undefined : env;
  };
  const configFile = setting('config');
  const config: ServerConfig = configFile === undefined ? {} : loadConfigFile(configFile);
  const repos = setting('repos');
  const listen = setting('listen');
  const moduleHost = setting('module-host');
  if (repos !== undefined) config.repos = repos;
  if (listen !== undefined) config.listen = listen;
  if (moduleHost !== undefined) config.moduleHost = moduleHost;
  const dataDir = setting('data');
  if (dataDir !== undefined) config.dataDir = dataDir;
  return config;
}

function main(): void {
  if (process.argv[2] === 'pins') {
    pinsCommand(process.argv.slice(3), readConfig).then((status) => process.exit(status), (error: Error) => fail(error.message));
    return;
  }
  let config: ServerConfig;
  let handler: ReturnType<typeof createHandler>;
  try {
    config = readConfig(process.argv.slice(2));
    const { listen: _listen, ...options } = config;
    handler = createHandler(options);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const address = parseListen(config.listen ?? DEFAULT_LISTEN) ?? fail(`--listen: must be HOST:PORT, got ${JSON.stringify(config.listen)}`);
  const server = createServer(handler);
  server.on('error', (error) => fail(`cannot listen on ${config.listen ?? DEFAULT_LISTEN}: ${error.message}`));
  server.listen(address.port, address.host, () => {
    const bound = server.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : address.port;
    const host = address.host.includes(':') ? `[${address.host}]` : address.host;
    const projects = handler.projectCount;
    const repos = resolve(config.repos ?? './repos');
    const missing = existsSync(repos) ? '' : ' (no such directory yet)';
    process.stdout.write(`git-goproxy: serving ${projects} project${projects === 1 ? '' : 's'} from ${repos}${missing}\n`);
    process.stdout.write(`git-goproxy: GOPROXY=http://${host}:${port}\n`);
  });
  const stop = () => {
    server.close(() => {
      handler.close().finally(() => process.exit(0));
    });
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[2] === 'token') {
  const io = { out: (text: string) => process.stdout.write(text), err: (text: string) => process.stderr.write(text), env: process.env, now: Date.now };
  process.exitCode = runTokenCommand(process.argv.slice(3), io);
} else {
  main();
}
