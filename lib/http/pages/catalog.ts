/**
 * `/-/catalog`: the modules and versions the caller may read, as JSON, paginated like Athens'
 * `/catalog`: `{"modules":[{"module":"…","version":"…","licenses":["MIT"]},…],"next":"<token>"}` (the
 * licenses of the version's license files, SPDX identifiers or `unknown`); pass `next` back as
 * `?token=` for the following page, which is absent on the last one. `pagesize` counts projects
 * (default 20, at most 100); each project brings every module of its repository and their versions.
 * A project that cannot be read (a broken repository) is left out, never the page's failure.
 */
import type { ProxyService, ServedModule } from '../../access/service.ts';
import { badRequest, isResourceExhaustion, ProxyError } from '../../common/errors.ts';
import { logger } from '../../common/log.ts';
import type { PageRequest } from './links.ts';
import { repositoryModules } from './repository-modules.ts';

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

export interface Catalog {
  readonly modules: ReadonlyArray<
    { readonly module: string; readonly version: string; readonly licenses: readonly string[] }
  >;
  readonly next?: string;
}

export async function catalog(service: ProxyService, request: PageRequest): Promise<Catalog> {
  const format = request.query.get('format');
  if (format !== null && format !== 'json') throw badRequest('format must be json');
  const size = pageSize(request.query.get('pagesize'));
  const after = request.query.get('token');
  const readable = service.readableProjects(request.caller);
  const start = after === null ? 0 : readable.findIndex((project) => project.fullPath >= decodeToken(after));
  const shown = start < 0 ? [] : readable.slice(start, start + size);
  // Every project looked up now, in the index the list came from: a rescan or reload while the page is
  // made cannot take a listed project away from under it (it would be a 404 for the whole page).
  const found = shown.map((project) => {
    try {
      return service.module({ kind: 'project', id: project.fullPath }, project.modulePath, request.caller);
    } catch (error) {
      return leaveOut(project.fullPath, error);
    }
  });
  const modules = [];
  for (const module of found) {
    if (module === undefined) continue;
    const related = await repositoryModules(service, module, request.caller).catch((error: unknown) =>
      leaveOut(module.project?.fullPath ?? module.modulePath, error)
    );
    for (const each of related ?? []) {
      modules.push(
        ...await Promise.all(each.versions.map(async (version) => ({
          module: each.modulePath,
          version,
          licenses: await licensesOf(each.module, version),
        }))),
      );
    }
  }
  const following = start < 0 ? undefined : readable[start + size];
  return following === undefined
    ? { modules }
    : { modules, next: Buffer.from(following.fullPath).toString('base64url') };
}

/**
 * Leaves a project that cannot be read (a broken repository) out of the page, so that one bad
 * repository leaves the others' page whole: its own requests say why (a broken repository logs it
 * once); a failure that is no answer at all is logged here. A busy server is the whole page's 503.
 */
function leaveOut(project: string, error: unknown): undefined {
  if (error instanceof ProxyError && (error.kind === 'not-found' || error.kind === 'gone')) return undefined;
  if (error instanceof ProxyError || isResourceExhaustion(error)) throw error;
  logger.warn('catalog: a project left out, it cannot be read', { project, error: String(error) });
  return undefined;
}

function pageSize(text: string | null): number {
  if (text === null) return DEFAULT_PAGE_SIZE;
  if (!/^[1-9][0-9]{0,2}$/.test(text) || Number(text) > MAX_PAGE_SIZE) {
    throw badRequest(`pagesize must be 1 to ${MAX_PAGE_SIZE}`);
  }
  return Number(text);
}

/** The project path a `next` token names (the first project of the page it starts). */
function decodeToken(token: string): string {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(token)) throw badRequest('invalid token');
  return Buffer.from(token, 'base64url').toString('utf8');
}

/** The SPDX identifiers of a listed version's license files (none when it cannot be resolved). */
async function licensesOf(module: ServedModule, version: string): Promise<string[]> {
  try {
    const resolved = await module.info(version);
    return [...new Set((await module.licenses(resolved)).map((license) => license.id))];
  } catch (error) {
    if (error instanceof ProxyError) return [];
    throw error;
  }
}
