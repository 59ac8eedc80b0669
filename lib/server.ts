#!/usr/bin/env node
/**
 * The command line: `node lib/server.js [flags]` runs the proxy; `--help` lists flags and
 * environment variables. A thin layer over `createHandler()`: flags and environment → options →
 * `http.createServer`, signals for a clean stop, and live reload of the config (SIGHUP, file
 * changes: lib/cli/reload.ts).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import type { ServerConfig } from './cli/config.ts';
import { ConfigError } from './common/errors.ts';
import {
  DEFAULT_LISTEN,
  DEFAULT_MODULE_HOST,
  DEFAULT_ZIP_SPOOL_MIB,
  DEFAULT_ZIP_STREAMS_PER_CLIENT,
  loadConfigFile,
  parseListen,
  proxyOptionsOf,
  resolveOptions,
} from './cli/config.ts';
import { createProxyServer } from './http/server.ts';
import { createHandler, proxySetup } from './index.ts';
import { goEnv, noSumDbOf } from './http/go-env.ts';
import { DEFAULT_RESCAN_INTERVAL_SECONDS } from './access/projects.ts';
import { isClusterWorker, runPrimary } from './cli/cluster.ts';
import { logger } from './common/log.ts';
import { DEFAULT_SHUTDOWN_TIMEOUT_SECONDS, gracefulShutdown, stopOnSignals } from './cli/shutdown.ts';
import { type OperatorCommand, runOperatorCommand } from './cli/operator.ts';
import { pinsCommand } from './cli/pins-command.ts';
import { sumCommand } from './cli/sum-command.ts';
import { mirrorsCommand } from './cli/mirrors-command.ts';
import { DEFAULT_NEW_PINS_PER_MINUTE } from './pins/new-pin-limit.ts';
import { runTokenCommand } from './cli/token-command.ts';
import { checkCommand } from './cli/check-command.ts';
import { watchConfig } from './cli/reload.ts';
import { DEFAULT_ANSWER_DEADLINE_SECONDS } from './http/deadline.ts';

const USAGE = `Usage: node lib/server.js [flags]
       node lib/server.js token create|list|revoke …   (access tokens: token --help)
       node lib/server.js check [flags]                 (validate the config, list what would be served)

Serves Go modules from bare git repositories (GOPROXY protocol and GitLab's Go Proxy API).

Flags (each also read from the environment variable shown):
  --repos DIR          directory searched for bare repositories      GIT_GOPROXY_REPOS   (default ./repos)
  --listen HOST:PORT   address to listen on                          GIT_GOPROXY_LISTEN  (default ${DEFAULT_LISTEN})
  --module-host HOST   host part of module paths                     GIT_GOPROXY_MODULE_HOST (default ${DEFAULT_MODULE_HOST})
  --config FILE        JSON config file (see README "Configuration") GIT_GOPROXY_CONFIG
  --data DIR           pins and other state (default REPOS/.git-goproxy) GIT_GOPROXY_DATA
  --pins URL           keep pins in PostgreSQL (postgres://user@host:port/db), shared by all instances
                                                                     GIT_GOPROXY_PINS (default: DATA/pins.jsonl)
  --base-path PATH     serve under a path prefix, e.g. /goproxy     GIT_GOPROXY_BASE_PATH
  --log-level LEVEL    debug, info (access log), warn, error, silent GIT_GOPROXY_LOG_LEVEL (default info)
  --workers N          serving processes sharing the port (cluster)  GIT_GOPROXY_WORKERS (default 1)
  --max-git N          git processes running at once (then a queue)  GIT_GOPROXY_MAX_GIT (default 2 x cores)
  --zip-cache-mib N    keep made zips on disk, up to N MiB           GIT_GOPROXY_ZIP_CACHE_MIB (default: off)
  --zip-spool-mib N    disk for zips of clients slower than git      GIT_GOPROXY_ZIP_SPOOL_MIB (default ${DEFAULT_ZIP_SPOOL_MIB})
  --zip-streams-per-client N  zips one client may fetch at once     GIT_GOPROXY_ZIP_STREAMS_PER_CLIENT (default ${DEFAULT_ZIP_STREAMS_PER_CLIENT})
  --shutdown-timeout S seconds in-flight responses get on SIGTERM    GIT_GOPROXY_SHUTDOWN_TIMEOUT (default ${DEFAULT_SHUTDOWN_TIMEOUT_SECONDS})
  --rescan-interval S  seconds between rescans of --repos (SIGHUP: now) GIT_GOPROXY_RESCAN_INTERVAL (default ${DEFAULT_RESCAN_INTERVAL_SECONDS})
  --max-new-pins-per-minute N  versions one client may pin first per minute, then 429
                                                                     GIT_GOPROXY_MAX_NEW_PINS_PER_MINUTE (default ${DEFAULT_NEW_PINS_PER_MINUTE})
  --upstream URL[,URL…]  GOPROXY servers for modules no project owns, tried in order
                                                                     GIT_GOPROXY_UPSTREAM (default: none)
  --answer-deadline S  seconds the work behind an answer may take, then 503 GIT_GOPROXY_ANSWER_DEADLINE (default ${DEFAULT_ANSWER_DEADLINE_SECONDS})
  --trusted-proxies LIST  reverse proxies in front (addresses, CIDR ranges, comma-separated): their
                       X-Forwarded-For names the client                GIT_GOPROXY_TRUSTED_PROXIES (default: none)
  --help               print this help

Flags override the environment, which overrides the config file. The server reloads the config
file when it changes, and on SIGHUP (README "Production").

Commands (same flags):
  pins                 list the pinned versions (README "Versions are immutable")
  pins verify          recompute every pinned version's hashes from git; exit 1 if any differ
  pins export          write every pin as JSON lines (the pins.jsonl format) to stdout
  pins import FILE     record the pins of such a file in the configured store; exit 1 on conflicts
  sum MODULE@VERSION…  print the go.sum lines of each version, as the go command writes them
  mirrors              list the mirrors of remote repositories and their state
  mirrors fetch [PATH…]  fetch the mirrors (all, or those named) now; exit 1 if a fetch failed
  check                validate flags and config without serving; print projects, groups, tokens, mirrors
`;

/** A flag that sets a config key: the environment variable read when the flag is absent, and whether it is a count or a comma-separated list. */
interface Setting {
  readonly env: string;
  readonly key: keyof ServerConfig;
  readonly positiveInteger?: true;
  /** A comma-separated list, for a config key that is an array. */
  readonly list?: true;
}

/** The flags that set config keys (`--help` describes them). */
const SETTINGS: Readonly<Record<string, Setting>> = {
  repos: { env: 'GIT_GOPROXY_REPOS', key: 'repos' },
  listen: { env: 'GIT_GOPROXY_LISTEN', key: 'listen' },
  'module-host': { env: 'GIT_GOPROXY_MODULE_HOST', key: 'moduleHost' },
  data: { env: 'GIT_GOPROXY_DATA', key: 'dataDir' },
  pins: { env: 'GIT_GOPROXY_PINS', key: 'pins' },
  'base-path': { env: 'GIT_GOPROXY_BASE_PATH', key: 'basePath' },
  'log-level': { env: 'GIT_GOPROXY_LOG_LEVEL', key: 'logLevel' },
  workers: { env: 'GIT_GOPROXY_WORKERS', key: 'workers', positiveInteger: true },
  'max-git': { env: 'GIT_GOPROXY_MAX_GIT', key: 'maxGit', positiveInteger: true },
  'zip-cache-mib': { env: 'GIT_GOPROXY_ZIP_CACHE_MIB', key: 'zipCacheMiB', positiveInteger: true },
  'zip-spool-mib': { env: 'GIT_GOPROXY_ZIP_SPOOL_MIB', key: 'zipSpoolMiB', positiveInteger: true },
  'zip-streams-per-client': {
    env: 'GIT_GOPROXY_ZIP_STREAMS_PER_CLIENT',
    key: 'zipStreamsPerClient',
    positiveInteger: true,
  },
  'shutdown-timeout': { env: 'GIT_GOPROXY_SHUTDOWN_TIMEOUT', key: 'shutdownTimeout', positiveInteger: true },
  'rescan-interval': { env: 'GIT_GOPROXY_RESCAN_INTERVAL', key: 'rescanInterval', positiveInteger: true },
  'max-new-pins-per-minute': {
    env: 'GIT_GOPROXY_MAX_NEW_PINS_PER_MINUTE',
    key: 'maxNewPinsPerMinute',
    positiveInteger: true,
  },
  'trusted-proxies': { env: 'GIT_GOPROXY_TRUSTED_PROXIES', key: 'trustedProxies', list: true },
  'answer-deadline': { env: 'GIT_GOPROXY_ANSWER_DEADLINE', key: 'answerDeadline', positiveInteger: true },
  upstream: { env: 'GIT_GOPROXY_UPSTREAM', key: 'upstream', list: true },
};

/** The environment variable of `--config`, the file read first: the settings above override what it holds. */
const CONFIG_ENV = 'GIT_GOPROXY_CONFIG';

const FLAGS = {
  ...Object.fromEntries(Object.keys(SETTINGS).map((flag) => [flag, { type: 'string' } as const])),
  config: { type: 'string' },
  help: { type: 'boolean' },
} as const;

function fail(message: string): never {
  process.stderr.write(`git-goproxy: ${message}\n`);
  process.exit(2);
}

/** A flag's value: the command line's, else that of the environment variable `env`. */
type FlagValue = (flag: string, env: string) => string | undefined;

/**
 * Flags, then environment, then config file. Positional arguments are refused unless a
 * `positionals` array is given to collect them (for commands that take operands).
 */
function readConfig(argv: string[], positionals?: string[]): ServerConfig {
  return configOf(parseFlags(argv, positionals));
}

/** Parses the command line (exits on a bad flag, and after printing `--help`). */
function parseFlags(argv: string[], positionals?: string[]): FlagValue {
  let values: Record<string, string | boolean | undefined>;
  try {
    let operands: string[];
    ({ values, positionals: operands } = parseArgs({
      args: argv,
      options: FLAGS,
      strict: true,
      allowPositionals: positionals !== undefined,
    }));
    positionals?.push(...operands);
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  return (flag, env) => {
    const value = values[flag];
    if (typeof value === 'string') return value;
    return process.env[env] === '' ? undefined : process.env[env];
  };
}

/** Reads the config file and lays the flags and environment over it; throws a `ConfigError`. */
function configOf(setting: FlagValue): ServerConfig {
  const configFile = setting('config', CONFIG_ENV);
  const config: ServerConfig = configFile === undefined ? {} : loadConfigFile(configFile);
  for (const [flag, { env, key, positiveInteger, list }] of Object.entries(SETTINGS)) {
    const text = setting(flag, env);
    if (text === undefined) continue;
    const value = positiveInteger === true
      ? positiveIntegerFlag(flag, text)
      : list === true
      ? text.split(',').map((item) => item.trim()).filter((item) => item !== '')
      : text;
    Object.assign(config, { [key]: value });
  }
  return config;
}

function positiveIntegerFlag(flag: string, text: string): number {
  if (!/^[1-9][0-9]{0,5}$/.test(text)) fail(`--${flag}: must be a positive integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** The operator commands, which take the server's flags (lib/cli/operator.ts). */
const OPERATOR_COMMANDS: Readonly<Record<string, OperatorCommand>> = {
  pins: pinsCommand,
  sum: sumCommand,
  mirrors: mirrorsCommand,
};

function main(): void {
  const operator = Object.hasOwn(OPERATOR_COMMANDS, process.argv[2] ?? '')
    ? OPERATOR_COMMANDS[process.argv[2]!]
    : undefined;
  if (operator !== undefined) {
    runOperator(operator, process.argv.slice(3));
    return;
  }
  if (process.argv[2] === 'check') {
    check(process.argv.slice(3));
    return;
  }
  const setting = parseFlags(process.argv.slice(2));
  let config: ServerConfig;
  let handler: ReturnType<typeof createHandler>;
  try {
    config = configOf(setting);
    handler = createHandler(proxyOptionsOf(config));
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const address = listenAddress(config);
  const deadlineMs = (config.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS) * 1000;
  const announce = (port: number) => announceListening(config, handler.projectCount, address.host, port);
  if ((config.workers ?? 1) > 1 && !isClusterWorker()) {
    // The primary only checked the config: the workers serve.
    handler.close().then(() =>
      runPrimary(config.workers ?? 1, deadlineMs + 5000, logger, ({ port }) => announce(port))
    );
    return;
  }
  const server = createProxyServer(handler, config);
  server.on('error', (error) => fail(`cannot listen on ${config.listen ?? DEFAULT_LISTEN}: ${error.message}`));
  let stopping = false;
  // Serving starts once the first scan of --repos is done, so the first requests see every project.
  handler.ready.then(() => {
    if (stopping) return;
    server.listen(address.port, address.host, () => {
      const bound = server.address();
      if (!isClusterWorker()) announce(typeof bound === 'object' && bound !== null ? bound.port : address.port);
    });
  });
  const reloader = watchConfig({
    file: setting('config', CONFIG_ENV),
    read: () => configOf(setting),
    started: config,
    handler,
    logger,
  });
  const stop = async (): Promise<void> => {
    stopping = true;
    reloader.close();
    await gracefulShutdown({ server, close: () => handler.close() }, deadlineMs, logger);
  };
  // A cluster worker stops when the primary says so; the terminal's SIGINT reaches the primary too.
  if (isClusterWorker()) process.on('SIGINT', () => undefined);
  stopOnSignals(stop, logger, isClusterWorker() ? ['SIGTERM'] : ['SIGTERM', 'SIGINT']);
}

/** The address to listen on; exits with start-up's one-line error when malformed. */
function listenAddress(config: ServerConfig): { host: string; port: number } {
  return parseListen(config.listen ?? DEFAULT_LISTEN) ??
    fail(`--listen: must be HOST:PORT, got ${JSON.stringify(config.listen)}`);
}

/** `check [flags]`: start-up's validation without serving, then what would be served (lib/cli/check-command.ts). */
function check(argv: string[]): void {
  const report = async (): Promise<void> => {
    const config = readConfig(argv);
    listenAddress(config);
    process.exitCode = await checkCommand(config, (text) => process.stdout.write(text));
  };
  report().catch((error: unknown) => {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  });
}

/** The start-up lines on stdout: what is served, and the GOPROXY value that reaches it. */
function announceListening(config: ServerConfig, projects: number, listenHost: string, port: number): void {
  const host = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  const repos = resolve(config.repos ?? './repos');
  process.stdout.write(`git-goproxy: serving ${projects} project${projects === 1 ? '' : 's'} from ${repos}\n`);
  const options = resolveOptions(proxyOptionsOf(config));
  const settings = goEnv({
    proxyUrl: `http://${host}:${port}${options.basePath}`,
    ...proxySetup(options),
    noSumDb: noSumDbOf(options.moduleHost, [], options.private),
  });
  for (const { name, value } of settings) process.stdout.write(`git-goproxy: ${name}=${value}\n`);
}

/** `pins …` or `sum MODULE@VERSION…` with the server's flags and config. */
function runOperator(command: OperatorCommand, argv: string[]): void {
  const operands: string[] = [];
  let config: ServerConfig;
  try {
    config = readConfig(argv, operands);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const output = {
    stdout: (text: string) => process.stdout.write(text),
    stderr: (text: string) => process.stderr.write(text),
  };
  runOperatorCommand(command, operands, config, output).then(
    (status) => process.exit(status),
    (error: Error) => fail(error.message),
  );
}

/**
 * Keeps V8's young generation at its starting size (two 1 MiB semi-spaces) instead of letting it
 * grow to 32 MiB: a zip stream allocates a steady flow of short-lived objects and buffers, and a
 * large young generation costs its size in RSS and lets dead stream buffers wait longer for a
 * collection (README "Performance"), for no measured gain in speed. Only the growth factor can be
 * changed once V8 runs; it is process-wide, so it is set here, for the command line, never by
 * `createHandler`.
 */
function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

keepYoungGenerationSmall();
if (process.argv[2] === 'token') {
  const io = {
    out: (text: string) => process.stdout.write(text),
    err: (text: string) => process.stderr.write(text),
    env: process.env,
    now: Date.now,
  };
  process.exitCode = runTokenCommand(process.argv.slice(3), io);
} else {
  main();
}
