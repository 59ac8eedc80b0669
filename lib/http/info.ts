/**
 * The `.info` JSON of a version, shared by the protocol's `.info`/`@latest` answers and the web
 * pages that show it.
 */
import type { ServedInfo } from '../access/service.ts';
import { infoTime } from '../modules/module-repo.ts';

/**
 * The `.info` JSON: canonical version and committer time in UTC seconds, as direct mode writes it,
 * and where the files come from when that is known.
 */
export function infoJson(version: ServedInfo): Record<string, unknown> {
  if (version.commit === undefined) return { Version: version.version, Time: infoTime(version.time) };
  const origin: Record<string, string> = { VCS: 'git', Hash: version.commit };
  if (version.tag !== undefined) origin.Ref = `refs/tags/${version.tag}`;
  return { Version: version.version, Time: infoTime(version.time), Origin: origin };
}
