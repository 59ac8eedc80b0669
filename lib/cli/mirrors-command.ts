/**
 * `node lib/server.js mirrors` lists the configured mirrors and their state; `mirrors fetch
 * [PATH…]` fetches them now (all, or those named), as the server would, and prints the state after.
 * Both take the server's flags and config file (lib/cli/operator.ts). A fetch run here takes the
 * same per-mirror lock as a running server's, so the two never fetch one mirror at once.
 *
 * The table (also printed by `check`) shows each mirror's project path, its URL (which holds no
 * credentials: the config refuses those), whether it has been fetched, when it last was, and the
 * last error, with credentials removed.
 */
import type { OperatorCommand } from './operator.ts';
import { formatTable } from './token-command.ts';
import type { MirrorRecord } from '../mirrors/mirror-record.ts';

/** What a row of the table shows. */
export interface MirrorRow {
  readonly path: string;
  readonly url: string;
  readonly record: MirrorRecord;
}

/** `mirrors` or `mirrors fetch [PATH…]`: exit 1 when a fetch failed, 2 for a path that is no mirror. */
export const mirrorsCommand: OperatorCommand = async (operands, service, output) => {
  const [subcommand, ...paths] = operands;
  if (subcommand !== undefined && subcommand !== 'fetch') {
    output.stderr(
      `git-goproxy: mirrors: unexpected ${JSON.stringify(subcommand)}: expected "mirrors" or "mirrors fetch [PATH…]"\n`,
    );
    return 2;
  }
  const { mirrors } = service;
  await service.ready;
  const unknown = paths.filter((path) => mirrors.get(path) === undefined);
  if (unknown.length > 0) {
    output.stderr(
      `git-goproxy: mirrors fetch: no mirror ${unknown.map((path) => JSON.stringify(path)).join(', ')} in the config\n`,
    );
    return 2;
  }
  if (subcommand === 'fetch') await mirrors.fetch('command', paths.length === 0 ? undefined : paths);
  const statuses = mirrors.statuses();
  output.stdout(mirrorTable(statuses));
  const fetched = statuses.filter((status) => paths.length === 0 || paths.includes(status.path));
  return subcommand === 'fetch' && fetched.some((status) => status.record.lastError !== undefined) ? 1 : 0;
};

/** `mirrors: N` and, when there are any, one row per mirror. */
export function mirrorTable(rows: readonly MirrorRow[]): string {
  const heading = `mirrors: ${rows.length}\n`;
  if (rows.length === 0) return heading;
  return heading + formatTable([
    ['PATH', 'URL', 'STATE', 'LAST FETCHED', 'LAST ERROR'],
    ...rows.map(({ path, url, record }) => [
      path,
      url,
      stateOf(record),
      record.lastSuccess === undefined ? '-' : new Date(record.lastSuccess).toISOString(),
      record.lastError ?? '-',
    ]),
  ]);
}

function stateOf(record: MirrorRecord): string {
  if (record.lastError !== undefined) return record.lastSuccess === undefined ? 'failing, never fetched' : 'failing';
  return record.lastSuccess === undefined ? 'not fetched yet' : 'fetched';
}
