/**
 * Splits a module's files into groups of about equal work, each named by a few paths (directories
 * or files) that `git archive` takes as pathspecs, so that several `git archive` processes can make
 * one module zip together. A directory heavier than a group's share is split into its children
 * (largest first) while the pathspecs stay few; the pieces are then dealt to the groups largest
 * first, each to the lightest group (LPT scheduling).
 */

/** What a file costs to archive: its bytes plus a fixed cost per file (a header, an object lookup, a deflate start). */
const FILE_COST = 4096;

interface TreeNode {
  readonly path: string;
  cost: number;
  /** Present for directories. */
  readonly children?: Map<string, TreeNode>;
}

/** At most `parts` non-empty groups of paths (relative to the module root), together covering every file once. */
export function partitionFiles(
  files: ReadonlyArray<{ readonly path: string; readonly size: number }>,
  parts: number,
  maxPaths = 256,
): string[][] {
  const root = treeOf(files);
  const share = root.cost / parts;
  let pieces = [...root.children!.values()];
  for (;;) {
    pieces.sort((a, b) => b.cost - a.cost);
    const heavy = pieces.find((piece) => piece.children !== undefined && piece.cost > share);
    if (heavy === undefined || pieces.length - 1 + heavy.children!.size > maxPaths) break;
    pieces = [...pieces.filter((piece) => piece !== heavy), ...heavy.children!.values()];
  }
  pieces.sort((a, b) => b.cost - a.cost);
  const groups = Array.from({ length: Math.min(parts, pieces.length) }, () => ({ cost: 0, paths: [] as string[] }));
  for (const piece of pieces) {
    const lightest = groups.reduce((a, b) => (b.cost < a.cost ? b : a));
    lightest.paths.push(piece.path);
    lightest.cost += piece.cost;
  }
  return groups.map((group) => group.paths);
}

function treeOf(files: ReadonlyArray<{ readonly path: string; readonly size: number }>): TreeNode {
  const root: TreeNode = { path: '', cost: 0, children: new Map() };
  for (const file of files) {
    const cost = file.size + FILE_COST;
    const names = file.path.split('/');
    let dir = root;
    dir.cost += cost;
    for (const name of names.slice(0, -1)) {
      let child = dir.children!.get(name);
      if (child === undefined) {
        child = { path: dir.path === '' ? name : `${dir.path}/${name}`, cost: 0, children: new Map() };
        dir.children!.set(name, child);
      }
      child.cost += cost;
      dir = child;
    }
    dir.children!.set(names.at(-1)!, { path: file.path, cost });
  }
  return root;
}
