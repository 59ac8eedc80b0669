/**
 * The shape of lib/, as the README's "Architecture" section draws it: folders by concern, imports
 * pointing one way (from the request's side towards git and zip bytes), and no import cycle between
 * files. Read from the sources, so a change that bends the arrows fails here and not in a review.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const LIB = resolve(dirname(fileURLToPath(import.meta.url)), '../../lib');

/**
 * The folders of lib/, outermost first: a file may import from its own folder and the folders after
 * its own, never from one before it. Files at the top of lib/ (server.ts, index.ts) wire everything.
 */
const LAYERS = [
  'cli',
  'http',
  'access',
  'upstream',
  'mirrors',
  'discovery',
  'facts',
  'pins',
  'zip',
  'modules',
  'git',
  'common',
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The lib/ files a file imports (relative specifiers only; `import type` included). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)'/gms)].map((match) =>
    resolve(dirname(file), match[1]!)
  );
}

/** The layer index of a file; -1 for the composition root at the top of lib/. */
function layerOf(file: string): number {
  const parts = relative(LIB, file).split('/');
  if (parts.length === 1) return -1;
  const index = LAYERS.indexOf(parts[0]!);
  assert.notEqual(
    index,
    -1,
    `${relative(LIB, file)}: lib/${parts[0]}/ is not a known layer: add it to LAYERS and the README`,
  );
  return index;
}

const files = sourceFiles(LIB);
const graph = new Map(files.map((file) => [file, importsOf(file)]));

test('every folder of lib/ is a known layer, and every layer exists', () => {
  const folders = readdirSync(LIB, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) =>
    entry.name
  );
  assert.deepEqual([...folders].sort(), [...LAYERS].sort());
});

test('imports point from outer layers to inner ones only', () => {
  const wrong: string[] = [];
  for (const [file, imports] of graph) {
    for (const target of imports) {
      if (layerOf(target) === -1 || layerOf(target) < layerOf(file)) {
        wrong.push(`${relative(LIB, file)} → ${relative(LIB, target)}`);
      }
    }
  }
  // server.ts may build on index.ts (both are the top); nothing else may import them.
  assert.deepEqual(wrong.filter((edge) => edge !== 'server.ts → index.ts'), []);
});

/** The imports of http/ files that lead into one of `folders`, as `file → target`. */
function httpImportsInto(folders: readonly string[]): string[] {
  return [...graph].flatMap(([file, imports]) =>
    relative(LIB, file).startsWith('http/')
      ? imports.map((target) => relative(LIB, target)).filter((target) =>
        folders.some((folder) => target.startsWith(`${folder}/`))
      ).map((target) => `${relative(LIB, file)} → ${target}`)
      : []
  );
}

test('http/ reaches the modules through the service seam only (access/service.ts; auth.ts for who asks)', () => {
  const seam = ['access/service.ts', 'access/auth.ts'];
  assert.deepEqual(httpImportsInto(['access']).filter((edge) => !seam.includes(edge.split(' → ')[1]!)), []);
});

test('http/ has no upstream branch: upstream modules and checksum databases come through the seam too', () => {
  assert.deepEqual(httpImportsInto(['upstream']), []);
});

test('no file imports a file that does not exist', () => {
  const missing = [...graph].flatMap(([file, imports]) =>
    imports.filter((target) => !graph.has(target)).map((target) => `${relative(LIB, file)} → ${relative(LIB, target)}`)
  );
  assert.deepEqual(missing, []);
});

test('there is no import cycle between files', () => {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(LIB, f)).join(' → '));
      return;
    }
    state.set(file, 'open');
    for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of files) visit(file, []);
  assert.deepEqual(cycles, []);
});

test('the import scanner sees imports (it would pass vacuously otherwise)', () => {
  const handler = join(LIB, 'http/handler.ts');
  assert.ok((graph.get(handler)?.length ?? 0) > 5);
  assert.equal(layerOf(handler), LAYERS.indexOf('http'));
});
