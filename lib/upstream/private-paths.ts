/**
 * Which module paths never leave this server. A path is private, and so never sent to an upstream
 * proxy or checksum database (not even as a probe), when it is
 * - the module host or below it (`go.localhost`, `go.localhost/acme/hello`);
 * - a local project's module path, a path below one, or a prefix of one (the go command probes
 *   every prefix of an import path: `corp.example.com` for `corp.example.com/tools/lint`);
 * - matched by the config's `private` globs, read as the go command reads GOPRIVATE.
 *
 * GOPRIVATE's syntax is x/mod's `module.MatchPrefixPatterns`: comma-separated globs (Go's
 * `path.Match`: `*` and `?` within one path element, `[…]` classes, `\` escapes), each matching a
 * path whose first elements, as many as the glob has, match it: `corp.example.com` matches
 * `corp.example.com/x/y`, `*.internal` matches `git.internal/z`. A malformed glob matches nothing
 * (config validation refuses one first).
 */
/** What the private paths need of the local projects (`access/projects.ts`'s `ProjectIndex` is it). */
export interface LocalModulePaths {
  /** The host part of the projects' module paths. */
  readonly moduleHost: string;
  /** The project that owns a module path (its own or a parent's), if any. */
  forModule(modulePath: string): unknown;
  /** Every project, the same array until the projects change. */
  all(): readonly { readonly modulePath: string }[];
}

/** Why a path is private, for the log line and the counter of refusals. */
export type PrivateReason = 'module-host' | 'local-project' | 'private-pattern';

export class PrivatePaths {
  readonly #projects: LocalModulePaths;
  readonly #patterns: readonly RegExpGlob[];
  /** Every proper prefix (at a `/`) of a local project's module path, for the index's current snapshot. */
  #prefixes: { readonly of: readonly unknown[]; readonly set: ReadonlySet<string> } | undefined;

  /** `patterns`: GOPRIVATE syntax (`corp.example.com,*.internal`), or empty. */
  constructor(projects: LocalModulePaths, patterns: string) {
    this.#projects = projects;
    this.#patterns = compilePatterns(patterns);
  }

  /** Why `modulePath` must not leave this server, or undefined when it may be asked upstream. */
  reason(modulePath: string): PrivateReason | undefined {
    if (isAtOrBelow(modulePath, this.#projects.moduleHost)) return 'module-host';
    if (this.#projects.forModule(modulePath) !== undefined || this.#prefixSet().has(modulePath)) {
      return 'local-project';
    }
    if (this.#patterns.some((glob) => glob.matches(modulePath))) return 'private-pattern';
    return undefined;
  }

  #prefixSet(): ReadonlySet<string> {
    const projects = this.#projects.all();
    if (this.#prefixes?.of !== projects) {
      const set = new Set<string>();
      for (const { modulePath } of projects) {
        for (let end = modulePath.lastIndexOf('/'); end > 0; end = modulePath.lastIndexOf('/', end - 1)) {
          set.add(modulePath.slice(0, end));
        }
      }
      this.#prefixes = { of: projects, set };
    }
    return this.#prefixes.set;
  }
}

function isAtOrBelow(path: string, root: string): boolean {
  return path === root || (path.startsWith(root) && path[root.length] === '/');
}

/** One glob of a GOPRIVATE list: how many path elements it spans, and its pattern. */
interface RegExpGlob {
  matches(target: string): boolean;
}

/** The globs of a GOPRIVATE list; a malformed one matches nothing. */
function compilePatterns(list: string): RegExpGlob[] {
  return list.split(',').map((glob) => glob.replace(/\/$/, '')).filter((glob) => glob !== '').map((glob) => {
    const pattern = globPattern(glob);
    const slashes = glob.split('/').length - 1;
    return { matches: (target) => pattern !== undefined && matchesPrefix(pattern, slashes, target) };
  });
}

/** x/mod's `MatchPrefixPatterns` for one glob: it must match the target's first `slashes + 1` elements. */
function matchesPrefix(pattern: RegExp, slashes: number, target: string): boolean {
  let prefix = target;
  let n = slashes;
  for (let i = 0; i < target.length; i++) {
    if (target[i] !== '/') continue;
    if (n === 0) {
      prefix = target.slice(0, i);
      break;
    }
    n--;
  }
  return n === 0 && pattern.test(prefix);
}

/** The error of a GOPRIVATE list (config validation), or undefined when every glob is well formed. */
export function privatePatternsError(list: string): string | undefined {
  const bad = list.split(',').find((glob) => glob !== '' && globPattern(glob.replace(/\/$/, '')) === undefined);
  return bad === undefined
    ? undefined
    : `malformed pattern ${JSON.stringify(bad)} (GOPRIVATE syntax, e.g. "corp.example.com,*.internal")`;
}

/** Go's `path.Match` pattern as an anchored RegExp, or undefined when malformed (`path.ErrBadPattern`). */
export function globPattern(glob: string): RegExp | undefined {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '\\') {
      if (++i >= glob.length) return undefined;
      source += escapeRegExp(glob[i]!);
    } else if (c === '[') {
      const end = classEnd(glob, i + 1);
      if (end === undefined) return undefined;
      source += classSource(glob.slice(i + 1, end));
      i = end;
    } else source += escapeRegExp(c);
  }
  try {
    return new RegExp(`^${source}$`); // module paths are ASCII
  } catch {
    return undefined;
  }
}

/** Where the class opened before `start` closes (its `]`), skipping escaped characters; undefined when it never does. */
function classEnd(glob: string, start: number): number | undefined {
  const first = glob[start] === '^' ? start + 1 : start;
  for (let i = first; i < glob.length; i++) {
    if (glob[i] === '\\') i++;
    else if (glob[i] === ']') return i === first ? undefined : i; // `[]` and `[^]` are malformed, as in Go
  }
  return undefined;
}

/** A `path.Match` class body (`^a-z\]`) as a RegExp class. */
function classSource(body: string): string {
  let source = '[';
  let i = 0;
  if (body[0] === '^') {
    source += '^';
    i = 1;
  }
  for (; i < body.length; i++) {
    const escaped = body[i] === '\\';
    if (escaped) i++;
    const c = body[i]!;
    source += c === '-' && !escaped ? '-' : escapeRegExp(c);
  }
  return `${source}]`;
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}
