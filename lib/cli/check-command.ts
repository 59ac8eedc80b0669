/**
 * `node lib/server.js check [flags]`: validates the flags and config as start-up does, without
 * serving, and prints what the server would serve: the projects found (full path, id, module path,
 * visibility, repository; mirrors included), the groups with their ids, the tokens (names, grants
 * and expiry, never a hash) and the mirrors with the state their last fetch left (never a
 * credential). For operators and for CI that deploys config changes: a config that start-up
 * would refuse fails here with the same one-line error (a `ConfigError`, which the caller prints
 * before exiting 2). Nothing is written: no data directory, no pin store.
 *
 * It warns (exit status 0) when `local` projects would be served on an address other machines
 * reach: `local` means a client on this machine, and such a listener is usually meant for others.
 * It fails (exit status 2) when a project path or module path is claimed twice: neither is served.
 */
import type { ServerConfig } from './config.ts';
import { DEFAULT_LISTEN, parseListen, proxyOptionsOf, resolveOptions } from './config.ts';
import { type Project, ProjectIndex } from '../access/projects.ts';
import { isLoopback } from '../access/client-address.ts';
import { accessSettingsOf, mirrorsDirectory } from '../access/module-service.ts';
import { mirrorGitDir } from '../mirrors/mirror-set.ts';
import { readRecord } from '../mirrors/mirror-record.ts';
import { formatTable, tokenTable } from './token-command.ts';
import { mirrorTable } from './mirrors-command.ts';

/**
 * Scans `repos` once and prints the report; throws a `ConfigError` when the config is invalid.
 * Resolves with the exit status: 2 when something is claimed twice (a project path by two
 * repositories, a module path by two projects), which the server would not serve; else 0.
 */
export async function checkCommand(
  config: ServerConfig,
  out: (text: string) => void,
  now: number = Date.now(),
): Promise<number> {
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
  const exposed = localExposure(config.listen ?? DEFAULT_LISTEN, projects);
  if (exposed !== undefined) out(`\n${exposed}\n`);
  const conflicts = index.conflicts();
  if (conflicts.length === 0) return 0;
  out(`\nconflicts: ${conflicts.length}\n${conflicts.map((conflict) => `error: ${conflict}\n`).join('')}`);
  return 2;
}

/** The warning for `local` projects served on a listener other machines reach, or undefined. */
export function localExposure(listen: string, projects: readonly Project[]): string | undefined {
  const host = parseListen(listen)?.host;
  const local = projects.filter((project) => project.visibility === 'local').length;
  if (local === 0 || host === undefined || host === 'localhost' || isLoopback(host)) return undefined;
  return `warning: ${local} project${local === 1 ? ' is' : 's are'} local (readable by clients on this machine only) ` +
    `but the server listens on ${listen}, which other machines reach: give them a visibility ` +
    `(or set defaultVisibility) if others are meant to read them`;
}
