/**
 * The `sum` command: the two go.sum lines of a module version exactly as the go command writes
 * them (`modfetch.WriteGoSum`), computed from the zip this server would serve: the version is
 * resolved as `.zip` resolves it (from its pinned commit when pinned, in the project that owns the
 * module path), and its zip is streamed from git, hashed and dropped; nothing is pinned.
 */
import type { OperatorCommand } from './operator.ts';
import { notFound, ProxyError } from '../common/errors.ts';
import type { ModuleService } from '../access/module-service.ts';
import { goSumLines, hashGoMod } from '../zip/hash.ts';

/** A `<module>@<version>` argument, split at its last `@`; undefined when either side is empty. */
function parseModuleVersion(argument: string): { module: string; version: string } | undefined {
  const at = argument.lastIndexOf('@');
  if (at <= 0 || at === argument.length - 1) return undefined;
  return { module: argument.slice(0, at), version: argument.slice(at + 1) };
}

/**
 * `sum <module>@<version>…`: prints each version's go.sum lines in argument order, and a one-line
 * reason on stderr for each it cannot sum. Answers the exit status: 0 when all were summed, 1 when
 * any could not be, 2 for a malformed argument (nothing is computed then).
 */
export const sumCommand: OperatorCommand = async (targets, service, output) => {
  const parsed = targets.map((target) => ({ target, split: parseModuleVersion(target) }));
  const malformed = parsed.find(({ split }) => split === undefined);
  if (targets.length === 0 || malformed !== undefined) {
    output.stderr(
      `git-goproxy: sum: ${
        malformed === undefined ? 'no module given' : `${JSON.stringify(malformed.target)} is not <module>@<version>`
      }\n`,
    );
    return 2;
  }
  let status = 0;
  for (const { split } of parsed) {
    try {
      output.stdout(await sumLines(service, split!.module, split!.version));
    } catch (error) {
      if (!(error instanceof ProxyError)) throw error;
      output.stderr(`git-goproxy: sum: ${error.message}\n`);
      status = 1;
    }
  }
  return status;
};

/** The go.sum lines (zip line, then `/go.mod` line, each ending in a newline) of `module@version`. */
async function sumLines(service: ModuleService, module: string, version: string): Promise<string> {
  const target = await service.operatorTarget(module);
  if (target === undefined) throw notFound(`module ${module}: no such module on this server`);
  const resolved = await service.pins.exact(target, version);
  return goSumLines(module, resolved.version, await service.zipHash(target, resolved), hashGoMod(resolved.goMod));
}
