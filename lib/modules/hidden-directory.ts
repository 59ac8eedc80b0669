/**
 * A repository seen without one of its directories: its files there and its tags for modules there
 * (`<dir>/vX.Y.Z`) are not in the view. A project answers a caller who may not read a project
 * nested in it (whose module path is the directory's) through this view, so that the answer is the
 * one it gives for a path where it holds no module: what the caller would get if the nested project
 * did not exist, without ever handing the outer project's own files at that path to a caller who
 * would get the nested project's with a token (access/module-service.ts).
 */
import type { Refs } from '../git/refs.ts';
import type { CodeHost } from './module-repo.ts';

/** Each refs snapshot's views, by hidden directory: kept as long as the snapshot, so what is derived from a view is too. */
const views = new WeakMap<Refs, Map<string, Refs>>();
/** Each view's snapshot. */
const originals = new WeakMap<Refs, Refs>();

/** `host` without the directory `dir` (no trailing slash). */
export function hideDirectory(host: CodeHost, dir: string): CodeHost {
  const prefix = `${dir}/`;
  return {
    refs: async () => viewOf(await host.refs(), prefix),
    commitTime: (oid) => host.commitTime(oid),
    readFile: (commit, path) => (path.startsWith(prefix) ? Promise.resolve(undefined) : host.readFile(commit, path)),
    // The same commits are reached as without the view: the tags hidden still reach theirs.
    resolveHexPrefix: (hex, refs) => host.resolveHexPrefix(hex, originals.get(refs) ?? refs),
    isAncestor: (ancestor, descendant) => host.isAncestor(ancestor, descendant),
    tagsReachableFrom: async (commit, tagPrefix) =>
      (await host.tagsReachableFrom(commit, tagPrefix)).filter((tag) => !tag.startsWith(prefix)),
  };
}

function viewOf(refs: Refs, prefix: string): Refs {
  let byPrefix = views.get(refs);
  if (byPrefix === undefined) views.set(refs, byPrefix = new Map());
  let view = byPrefix.get(prefix);
  if (view === undefined) {
    const tags = new Map([...refs.tags].filter(([name]) => !name.startsWith(prefix)));
    view = { ...refs, tags };
    byPrefix.set(prefix, view);
    originals.set(view, refs);
  }
  return view;
}
