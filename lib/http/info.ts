/**
 * The `.info` JSON of a version, shared by the protocol's `.info`/`@latest` answers and the web
 * pages that show it.
 */
import { infoTime, type ModuleVersion } from '../modules/module-repo.ts';

/** The `.info` JSON: canonical version and committer time in UTC seconds, as direct mode writes it. */
export function infoJson(version: ModuleVersion): Record<string, unknown> {
  const origin: Record<string, string> = { VCS: 'git', Hash: version.commit };
  if (version.tag !== undefined) origin.Ref = `refs/tags/${version.tag}`;
  return { Version: version.version, Time: infoTime(version.time), Origin: origin };
}
