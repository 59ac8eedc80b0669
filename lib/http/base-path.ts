/**
 * Mounting the proxy under a path prefix (`basePath: '/goproxy'`): requests below the prefix are
 * routed with the prefix removed (`/goproxy/example.com/m/@v/list` → `/example.com/m/@v/list`);
 * everything else is not ours (`next()` in middleware, 404 otherwise).
 */

/** Why `basePath` is unusable, or undefined when it is fine: `/a/b`, no trailing slash, plain URL path characters. */
export function basePathError(basePath: string): string | undefined {
  if (!basePath.startsWith('/') || basePath === '/') return 'must start with "/" and name a path, e.g. "/goproxy"';
  if (basePath.endsWith('/')) return 'must not end with "/"';
  if (!/^(\/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+$/.test(basePath) || /\/\.{1,2}(\/|$)/.test(basePath)) {
    return 'must be plain path elements (letters, digits, "-", "_", ".", "~"; no "." or ".." elements, no "?" or "#")';
  }
  return undefined;
}

/** The request path below `basePath` (always starting with `/`), or undefined when the path is not below it. */
export function stripBasePath(path: string, basePath: string): string | undefined {
  if (basePath === '') return path;
  if (!path.startsWith(basePath)) return undefined;
  const rest = path.slice(basePath.length);
  if (rest === '') return '/';
  return rest.startsWith('/') ? rest : undefined;
}
