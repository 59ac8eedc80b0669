/**
 * The project source for `repos`, chosen at each scan: GitLab's hashed storage when `repos/@hashed`
 * is a directory, else the directory tree. A directory that does not exist (yet) holds no projects.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DirectoryTree, type Discovery, type ProjectSource } from './project-source.ts';
import { GitLabHashedStorage, HASHED_DIR } from './gitlab-hashed.ts';

export class DetectedLayout implements ProjectSource {
  readonly #root: string;
  readonly #tree: DirectoryTree;
  readonly #hashed: GitLabHashedStorage;
  #current: ProjectSource;

  constructor(root: string) {
    this.#root = root;
    this.#tree = new DirectoryTree(root);
    this.#hashed = new GitLabHashedStorage(root);
    this.#current = this.#tree;
  }

  get layout(): string {
    return this.#current.layout;
  }

  async scan(signal: AbortSignal): Promise<Discovery> {
    const hashed = await stat(join(this.#root, HASHED_DIR)).then(
      (stats) => stats.isDirectory(),
      () => false,
    );
    this.#current = hashed ? this.#hashed : this.#tree;
    return this.#current.scan(signal);
  }
}
