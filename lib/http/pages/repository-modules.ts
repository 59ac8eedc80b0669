/**
 * The modules a project's repository holds, as its tags show them: the root module, modules in
 * subdirectories and major versions (`ServedModule.relatedModulePaths`). A candidate counts when
 * the proxy lists versions for it, so `+incompatible` tags do not make a `/v2` module.
 */
import type { Caller } from '../../access/auth.ts';
import type { ProjectFacts, ProxyService, ServedModule } from '../../access/service.ts';
import { notFound, ProxyError } from '../../common/errors.ts';

export interface RepositoryModule {
  readonly modulePath: string;
  /** The module, as its project's scope finds it for the caller. */
  readonly module: ServedModule;
  /** Its `list` answer, oldest first. */
  readonly versions: readonly string[];
}

export async function repositoryModules(
  service: ProxyService,
  module: ServedModule,
  caller: Caller,
): Promise<RepositoryModule[]> {
  const project = pageProject(module);
  const candidates = await module.relatedModulePaths();
  const found = await Promise.all(
    candidates.map((modulePath) => listedVersions(service, project, modulePath, caller)),
  );
  return found.filter((listed): listed is RepositoryModule => listed !== undefined && listed.versions.length > 0);
}

/** The project of a module a page is about: the pages show local projects' modules only. */
export function pageProject(module: ServedModule): ProjectFacts {
  if (module.project === undefined) throw notFound(`module ${module.modulePath}: no page for a module from elsewhere`);
  return module.project;
}

/** The versions of a module of the project (through the project's own scope, so another project never answers). */
async function listedVersions(
  service: ProxyService,
  project: ProjectFacts,
  modulePath: string,
  caller: Caller,
): Promise<RepositoryModule | undefined> {
  try {
    const module = service.module({ kind: 'project', id: project.fullPath }, modulePath, caller);
    return { modulePath, module, versions: (await module.list()).versions };
  } catch (error) {
    if (error instanceof ProxyError) return undefined;
    throw error;
  }
}
