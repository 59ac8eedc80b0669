/**
 * What a token grants: project path globs, matched against a project's full path.
 *
 * A pattern is a slash-separated path like the full paths it matches. Within an element, `*`
 * matches any run of characters (never a `/`); an element that is exactly `**` matches one or more
 * whole elements. So `group/app` is one project, `group/*` the projects directly in `group`,
 * `group/**` every project anywhere below `group`, and `**` every project.
 */

/** A compiled grant: `matches(fullPath)` says whether it covers the project. */
export interface Grant {
  readonly pattern: string;
  matches(fullPath: string): boolean;
}

/** Why `pattern` is not a valid grant, or undefined when it is. */
export function grantPatternError(pattern: string): string | undefined {
  if (pattern === '') return 'must be a non-empty path glob like "group/*"';
  for (const element of pattern.split('/')) {
    if (element === '' || element === '.' || element === '..') return 'must not have empty, "." or ".." elements';
    if (element !== '**' && element.includes('**')) return '"**" must be a whole path element';
  }
  return undefined;
}

/** Compiles a pattern checked by `grantPatternError`. */
export function compileGrant(pattern: string): Grant {
  const reason = grantPatternError(pattern);
  if (reason !== undefined) throw new Error(`grant ${JSON.stringify(pattern)}: ${reason}`);
  const elements = pattern.split('/').map(compileElement);
  return { pattern, matches: (fullPath) => matchElements(elements, fullPath.split('/')) };
}

/** One pattern element: `**`, or a matcher for a single path element. */
type ElementMatcher = '**' | RegExp;

function compileElement(element: string): ElementMatcher {
  if (element === '**') return '**';
  const source = element.split('*').map(escapeRegExp).join('[^/]*');
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether the pattern elements match the path elements exactly (backtracking only at `**`). */
function matchElements(patterns: readonly ElementMatcher[], path: readonly string[]): boolean {
  if (patterns.length === 0) return path.length === 0;
  const [first, ...rest] = patterns;
  if (first === '**') {
    for (let taken = 1; taken <= path.length; taken++) {
      if (matchElements(rest, path.slice(taken))) return true;
    }
    return false;
  }
  return path.length > 0 && first.test(path[0]) && matchElements(rest, path.slice(1));
}
