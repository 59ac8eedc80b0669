/**
 * The `sum` command: the two go.sum lines of a module version exactly as the go command writes
 * them (`modfetch.WriteGoSum`), computed from the zip this server would serve. The zip is streamed
 * from git archive through the module-zip transform, whose per-file SHA-256 digests are folded into
 * `dirhash.Hash1` as they come; no zip is held in memory or written to disk.
 *
 * A pinned version (pins/file-store.ts) is summed from its pinned commit, as it is served. The pin record is
 * only read: a running server may be appending to it.
 */
import { join } from 'node:path';
import { cpus } from 'node:os';
import type { ProxyOptions, ResolvedOptions } from './config.ts';
import { resolveOptions } from './config.ts';
import { gone, notFound, ProxyError } from '../common/errors.ts';
import { ShadowRepos } from '../git/archive.ts';
import { Limiter } from '../git/limiter.ts';
import { ModuleRepo, type ModuleVersion } from '../modules/module-repo.ts';
import { openModuleZip } from '../zip/source.ts';
import { PINS_FILE, readPins, type Pin } from '../pins/file-store.ts';
import { ProjectIndex } from '../access/projects.ts';
import { GitRepository } from '../modules/git-repository.ts';
import { dataDirectory } from '../access/module-service.ts';
import { goSumLines, Hash1, hashGoMod } from '../zip/hash.ts';

/** A `<module>@<version>` argument, split at its last `@`; undefined when either side is empty. */
export function parseModuleVersion(argument: string): { module: string; version: string } | undefined {
  const at = argument.lastIndexOf('@');
  if (at <= 0 || at === argument.length - 1) return undefined;
  return { module: argument.slice(0, at), version: argument.slice(at + 1) };
}

/** Computes go.sum lines for module versions of the projects that `options` serve. */
export class ModuleSums {
  readonly #options: ResolvedOptions;
  readonly #projects: ProjectIndex;
  readonly #limiter: Limiter;
  readonly #shadows: ShadowRepos;
  readonly #pins: ReadonlyMap<string, Pin>;
  readonly #repositories = new Map<string, GitRepository>();

  constructor(options: ProxyOptions) {
    this.#options = resolveOptions(options);
    this.#projects = new ProjectIndex(this.#options);
    this.#limiter = new Limiter({ concurrency: this.#options.maxGit ?? cpus().length });
    const dataDir = dataDirectory(this.#options);
    this.#shadows = new ShadowRepos(join(dataDir, 'shadow'));
    this.#pins = readPins(join(dataDir, PINS_FILE)).pins;
  }

  /**
   * The go.sum lines (zip line, then `/go.mod` line, each ending in a newline) of `module@version`.
   * Throws a `ProxyError` with the reason the server would answer when it has no such zip.
   */
  async lines(module: string, version: string, signal: AbortSignal = new AbortController().signal): Promise<string> {
    await this.#projects.ready;
    const { repository, repo } = this.#target(module);
    const resolved = await this.#resolve(repo, version);
    const hash = new Hash1();
    const zip = await openModuleZip(resolved, {
      gitDir: repository.gitDir,
      objects: repository.objects,
      shadows: this.#shadows,
      limiter: this.#limiter,
      level: 'store', // the hash is over uncompressed bytes: skip deflating them
      signal,
      onFileDigest: (name, sha256Hex) => hash.add(name, sha256Hex),
    });
    for await (const chunk of zip.chunks) void chunk; // drained: only the digests are wanted
    return goSumLines(module, resolved.version, hash.digest(), hashGoMod(resolved.goMod));
  }

  /** Stops the project scan (if still running) and the long-lived git processes. */
  async close(): Promise<void> {
    this.#projects.close();
    const closing = [...this.#repositories.values()].map((repository) => repository.close());
    this.#repositories.clear();
    await Promise.all(closing);
  }

  /** The version as `.zip` serves it: from its pinned commit when pinned, else exactly as tagged. */
  async #resolve(repo: ModuleRepo, version: string): Promise<ModuleVersion> {
    const pin = this.#pins.get(`${repo.modulePath} ${version}`);
    if (pin === undefined) return repo.exact(version);
    const pinned = await repo.atCommit(version, pin.commit);
    if (pinned === undefined) throw gone(`${repo.modulePath}@${version} was served from commit ${pin.commit}, which is no longer in the repository`);
    return pinned;
  }

  /** The repository and module resolver of a module path, as the service finds them for operators. */
  #target(module: string): { repository: GitRepository; repo: ModuleRepo } {
    const unknown = () => notFound(`module ${module}: no such module on this server`);
    const project = this.#projects.forModule(module)?.project;
    if (project === undefined) throw unknown();
    let repository = this.#repositories.get(project.gitDir);
    if (repository === undefined) {
      repository = new GitRepository(project.gitDir, this.#limiter);
      this.#repositories.set(project.gitDir, repository);
    }
    const repo = ModuleRepo.open(repository.codeHost, project.modulePath, module);
    if (repo === undefined) throw unknown();
    return { repository, repo };
  }
}

/** Where the command writes. */
export interface SumOutput {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/**
 * `sum <module>@<version>…`: prints each version's go.sum lines in argument order, and a one-line
 * reason on stderr for each it cannot sum. Answers the exit status: 0 when all were summed, 1 when
 * any could not be, 2 for a malformed argument (nothing is computed then).
 */
export async function sumCommand(targets: readonly string[], options: ProxyOptions, output: SumOutput): Promise<number> {
  const parsed = targets.map((target) => ({ target, split: parseModuleVersion(target) }));
  const malformed = parsed.find(({ split }) => split === undefined);
  if (targets.length === 0 || malformed !== undefined) {
    output.stderr(`git-goproxy: sum: ${malformed === undefined ? 'no module given' : `${JSON.stringify(malformed.target)} is not <module>@<version>`}\n`);
    return 2;
  }
  const sums = new ModuleSums(options);
  let status = 0;
  try {
    for (const { split } of parsed) {
      try {
        output.stdout(await sums.lines(split!.module, split!.version));
      } catch (error) {
        if (!(error instanceof ProxyError)) throw error;
        output.stderr(`git-goproxy: sum: ${error.message}\n`);
        status = 1;
      }
    }
  } finally {
    await sums.close();
  }
  return status;
}
