/**
 * `node lib/server.js token create|list|revoke`: manages the access tokens in the config file.
 *
 * `create` makes a random secret, prints it once on stdout and stores only its SHA-256; `list`
 * shows names, grants and expiry (never a secret, which the file does not hold); `revoke` removes a
 * token by name. The file is rewritten atomically (a temp file renamed over it, same permissions;
 * a new file is created readable by its owner only) with every other key kept as it was. A running
 * server on the same file sees the rename and applies the change within a second (reload.ts).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { hashToken, parseExpiry } from '../access/auth.ts';
import type { TokenConfig } from '../access/auth.ts';
import { loadConfigFile, resolveOptions } from './config.ts';
import { ConfigError } from '../common/errors.ts';

/** Where the command writes, and the environment it reads `GIT_GOPROXY_CONFIG` from. */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The clock for `list`'s "expired" column (milliseconds since the epoch). */
  readonly now: () => number;
}

export const TOKEN_USAGE = `Usage: node lib/server.js token <command> [--config FILE]

  create --name NAME --grant GLOB [--grant GLOB …] [--expires DATE]
                  make a token; prints the secret once (only its SHA-256 is stored)
  list            names, grants and expiry of the tokens
  revoke NAME     remove a token

GLOB is a project path glob: group/app, group/* (projects directly in group), group/** (all below).
DATE is 2025-12-31 (expires at the start of that day, UTC) or 2025-12-31T18:00:00Z.
The config file is --config FILE or GIT_GOPROXY_CONFIG; create makes it if it does not exist.
A running server on the same config file applies a change within a second.
`;

/** Prefix of generated secrets, so that secret scanners and people can tell what one is. */
const SECRET_PREFIX = 'ggp_';

/** Runs a `token` subcommand; returns the process exit code (0 ok, 2 usage or config error). */
export function runTokenCommand(args: readonly string[], io: CommandIo): number {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: {
        config: { type: 'string' },
        name: { type: 'string' },
        grant: { type: 'string', multiple: true },
        expires: { type: 'string' },
        help: { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    });
    const [command, ...rest] = positionals;
    if (values.help === true || command === undefined) return usage(io, values.help === true ? 0 : 2);
    const file = values.config ?? (io.env['GIT_GOPROXY_CONFIG'] || undefined);
    if (file === undefined) throw new UsageError('no config file: pass --config FILE or set GIT_GOPROXY_CONFIG');
    switch (command) {
      case 'create':
        return createToken(file, { name: values.name, grants: values.grant ?? [], expires: values.expires }, rest, io);
      case 'list':
        return listTokens(file, rest, io);
      case 'revoke':
        return revokeToken(file, rest, io);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError || isArgsError(error)) {
      io.err(`git-goproxy token: ${(error as Error).message}\n`);
      return 2;
    }
    throw error;
  }
}

class UsageError extends Error {}

function usage(io: CommandIo, code: number): number {
  (code === 0 ? io.out : io.err)(TOKEN_USAGE);
  return code;
}

function createToken(
  file: string,
  wanted: { name?: string; grants: string[]; expires?: string },
  extra: string[],
  io: CommandIo,
): number {
  noExtraArguments(extra);
  if (wanted.name === undefined) throw new UsageError('create: --name is required');
  if (wanted.grants.length === 0) throw new UsageError('create: at least one --grant is required');
  const config = existsSync(file) ? readConfigObject(file) : {};
  const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
  const token: TokenConfig = { name: wanted.name, sha256: hashToken(secret), grants: wanted.grants };
  if (wanted.expires !== undefined) token.expires = wanted.expires;
  const tokens = [...tokensOf(config), token];
  resolveOptions({ tokens }); // the same checks as at start-up: name, globs, expiry, duplicates
  writeConfigObject(file, { ...config, tokens });
  io.out(`${secret}\n`);
  io.err(`git-goproxy token: created ${JSON.stringify(token.name)} in ${file}; the secret above is shown only now\n`);
  return 0;
}

function listTokens(file: string, extra: string[], io: CommandIo): number {
  noExtraArguments(extra);
  io.out(tokenTable(tokensOf(readConfigObject(file)), io.now()));
  return 0;
}

/** Names, grants and expiry of `tokens` as a table (never a hash); `now` marks the expired ones. */
export function tokenTable(tokens: readonly TokenConfig[], now: number): string {
  const rows = tokens.map((token) => {
    const expiresAt = token.expires === undefined ? undefined : parseExpiry(token.expires);
    const state = expiresAt !== undefined && now >= expiresAt ? ' (expired)' : '';
    return [token.name, token.grants.join(','), `${token.expires ?? 'never'}${state}`];
  });
  return formatTable([['NAME', 'GRANTS', 'EXPIRES'], ...rows]);
}

function revokeToken(file: string, args: string[], io: CommandIo): number {
  const [name, ...extra] = args;
  noExtraArguments(extra);
  if (name === undefined) throw new UsageError('revoke: which token? (revoke NAME)');
  const config = readConfigObject(file);
  const tokens = tokensOf(config);
  const kept = tokens.filter((token) => token.name !== name);
  if (kept.length === tokens.length) throw new UsageError(`revoke: no token named ${JSON.stringify(name)} in ${file}`);
  writeConfigObject(file, { ...config, tokens: kept });
  io.err(
    `git-goproxy token: revoked ${JSON.stringify(name)}; a running server on ${file} refuses it within a second\n`,
  );
  return 0;
}

/** The file's JSON object, after the same validation the server does at start-up. */
function readConfigObject(file: string): Record<string, unknown> {
  loadConfigFile(file);
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function tokensOf(config: Record<string, unknown>): TokenConfig[] {
  return (config.tokens as TokenConfig[] | undefined) ?? [];
}

/** Writes a temp file beside `file` and renames it over, keeping the file's permissions. */
function writeConfigObject(file: string, config: Record<string, unknown>): void {
  const mode = existsSync(file) ? statSync(file).mode & 0o777 : 0o600;
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`, { mode, flag: 'wx' });
  chmodSync(temp, mode); // the umask may have taken bits away
  renameSync(temp, file);
}

function noExtraArguments(extra: readonly string[]): void {
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
}

function isArgsError(error: unknown): boolean {
  return error instanceof TypeError && typeof (error as NodeJS.ErrnoException).code === 'string' &&
    (error as NodeJS.ErrnoException).code!.startsWith('ERR_PARSE_ARGS');
}

/** Rows as columns two spaces apart, the first row the header. */
export function formatTable(rows: readonly string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ')
  ).join('\n') + '\n';
}
