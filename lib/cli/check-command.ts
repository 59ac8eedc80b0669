/**
 * `node lib/server.js check [flags]`: validates the flags and config as start-up does, without
 * serving, and prints what the server would serve: the projects found (full path, id, module path,
 * visibility, repository; mirrors included), the groups with their ids, the tokens (names, grants
 * and expiry, never a hash) and the mirrors with the state their last fetch left (never a
 * credential). For operators and for CI that deploys config changes: a config that start-up
 * would refuse fails here with the same one-line error (a `ConfigError`, which the caller prints
 * before exiting 2). Nothing is written: no data directory, no pin store.
 */
import type { ServerConfig } from './config.ts';
import { proxyOptionsOf, resolveOptions } from './config.ts';
import { ProjectIndex } from '../access/projects.ts';
import { accessSettingsOf, mirrorsDirectory } from '../access/module-service.ts';
import { mirrorGitDir } from '../mirrors/mirror-set.ts';
import { readRecord } from '../mirrors/mirror-record.ts';
import { formatTable, tokenTable } from './token-command.ts';
import { mirrorTable } from './mirrors-command.ts';

/** Scans `repos` once and prints the report; throws a `ConfigError` when the config is invalid. */
export async function checkCommand(
  config: ServerConfig,
  out: (text: string) => void,
  now: number = Date.now(),
): Promise<void> {
  const options = resolveOptions(proxyOptionsOf(config));
  const index = new ProjectIndex({ ...options, ...accessSettingsOf(options) });
  await index.ready;
  index.close();
  const projects = index.all();
  out(`repos: ${options.repos}\n\nprojects: ${projects.length}\n`);
  const projectRows = projects.map((
    p,
  ) => [p.fullPath, p.id === undefined ? '-' : String(p.id), p.modulePath, p.visibility, p.gitDir]);
  if (projectRows.length > 0) out(formatTable([['PATH', 'ID', 'MODULE', 'VISIBILITY', 'REPOSITORY'], ...projectRows]));
  out(`\ngroups: ${options.groups.length}\n`);
  if (options.groups.length > 0) {
    out(formatTable([['PATH', 'ID'], ...options.groups.map((g) => [g.path, String(g.id)])]));
  }
  out(`\ntokens: ${options.tokens.length}\n`);
  if (options.tokens.length > 0) out(tokenTable(options.tokens, now));
  const dir = mirrorsDirectory(options);
  const mirrors = await Promise.all(
    options.mirrors.map(async ({ path, url }) => ({ path, url, record: await readRecord(mirrorGitDir(dir, path)) })),
  );
  out(`\n${mirrorTable(mirrors)}`);
}
