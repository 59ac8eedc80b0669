/**
 * The modules a project's repository holds, as its tags show them: the root module, modules in
 * subdirectories (`dir/vX.Y.Z`) and major versions (`vN.…` tags, `/vN` paths). A candidate counts
 * when the proxy lists versions for it, so `+incompatible` tags do not make a `/v2` module. Read
 * from the in-process refs; at most `MAX_MODULES` per repository.
 */
import type { Caller } from '../../access/auth.ts';
import type { ModuleService, ModuleTarget } from '../../access/module-service.ts';
import { ProxyError } from '../../common/errors.ts';
import { checkModulePath } from '../../modules/module-path.ts';
import * as semver from '../../modules/semver.ts';

/** Most candidate modules looked at in one repository. */
const MAX_MODULES = 50;

export interface RepositoryModule {
  readonly modulePath: string;
  /** Its `list` answer, oldest first. */
  readonly versions: readonly string[];
}

export async function repositoryModules(
  service: ModuleService,
  target: ModuleTarget,
  caller: Caller,
): Promise<RepositoryModule[]> {
  const root = target.project.modulePath;
  const candidates = new Set<string>([root]);
  for (const tag of (await target.gitRepository.codeHost.refs()).tags.keys()) {
    if (candidates.size >= MAX_MODULES) break;
    const candidate = moduleOfTag(root, tag);
    if (candidate !== undefined) candidates.add(candidate);
  }
  const found = await Promise.all(
    [...candidates].sort().map((modulePath) => listedVersions(service, target, modulePath, caller)),
  );
  return found.filter((module): module is RepositoryModule => module !== undefined && module.versions.length > 0);
}

/** `dir/v2.1.0` → `<root>/dir/v2`; undefined for a tag that is not a canonical version or makes no valid module path. */
function moduleOfTag(root: string, tag: string): string | undefined {
  const slash = tag.lastIndexOf('/');
  const version = tag.slice(slash + 1);
  if (!semver.isValid(version) || semver.canonical(version) !== version) return undefined;
  const major = semver.major(version);
  const dir = slash < 0 ? '' : `/${tag.slice(0, slash)}`;
  // A project whose own path ends in its major version (`…/v2`) holds that major at its root.
  const suffix = major === 'v0' || major === 'v1' || (dir === '' && root.endsWith(`/${major}`)) ? '' : `/${major}`;
  const modulePath = `${root}${dir}${suffix}`;
  return checkModulePath(modulePath) === undefined ? modulePath : undefined;
}

/** The versions of a module of the project (through the project's own scope, so another project never answers). */
async function listedVersions(
  service: ModuleService,
  target: ModuleTarget,
  modulePath: string,
  caller: Caller,
): Promise<RepositoryModule | undefined> {
  try {
    const module = service.module({ kind: 'project', id: target.project.fullPath }, modulePath, caller);
    return { modulePath, versions: await service.list(module) };
  } catch (error) {
    if (error instanceof ProxyError) return undefined;
    throw error;
  }
}
