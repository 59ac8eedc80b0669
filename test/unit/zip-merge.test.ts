/**
 * Several `git archive` zips read at once (lib/zip/merge.ts, lib/zip/partition.ts): every entry
 * once and whole, each source in its own order, bounded read-ahead, failures and early stops, and how
 * a tree is partitioned into balanced groups.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { mergeZipEntries } from '../../lib/zip/merge.ts';
import { partitionFiles } from '../../lib/zip/partition.ts';
import type { ZipReadEvent } from '../../lib/zip/reader.ts';
import { seededRandom } from '../support/random.ts';

const TRAILER = { crc32: 0, compressedSize: 0, uncompressedSize: 0 };

/** The events of entries `names`, each with `chunks` data chunks of `bytes` bytes; delays between events when `random` is given. */
async function* entries(
  names: readonly string[],
  chunks: number,
  bytes: number,
  random?: () => number,
): AsyncGenerator<ZipReadEvent> {
  for (const name of names) {
    const header = {
      name,
      method: 0,
      flags: 0,
      crc32: 0,
      compressedSize: 0,
      uncompressedSize: 0,
      dosTime: 0,
      dosDate: 0,
      hasDataDescriptor: false,
      zip64: false,
    };
    yield { kind: 'header', header };
    for (let i = 0; i < chunks; i++) {
      if (random !== undefined) await sleep(Math.floor(random() * 3));
      yield { kind: 'data', chunk: new Uint8Array(bytes).fill(name.charCodeAt(0)) };
    }
    yield { kind: 'end', trailer: TRAILER };
  }
}

/** The merged events as `name:chunks` per entry, checking each entry is whole and its data its own. */
async function collect(merged: AsyncIterable<ZipReadEvent>): Promise<string[]> {
  const out: string[] = [];
  let current: { name: string; chunks: number } | undefined;
  for await (const event of merged) {
    if (event.kind === 'header') {
      assert.equal(current, undefined, 'a header inside another entry');
      current = { name: event.header.name, chunks: 0 };
    } else if (event.kind === 'data') {
      assert.ok(event.chunk.every((byte) => byte === current!.name.charCodeAt(0)), 'data of another entry');
      current!.chunks++;
    } else {
      out.push(`${current!.name}:${current!.chunks}`);
      current = undefined;
    }
  }
  return out;
}

test('every entry of every source comes out whole, once, and each source keeps its own order', async () => {
  const random = seededRandom(3);
  const a = ['a1', 'a2', 'a3', 'a4'];
  const b = ['b1', 'b2'];
  const c = ['c1', 'c2', 'c3'];
  const merged = await collect(
    mergeZipEntries([entries(a, 3, 10, random), entries(b, 5, 10, random), entries(c, 1, 10, random)], 25),
  );
  assert.deepEqual(
    [...merged].sort(),
    [...a.map((n) => `${n}:3`), ...b.map((n) => `${n}:5`), ...c.map((n) => `${n}:1`)].sort(),
  );
  for (const source of [a, b, c]) {
    assert.deepEqual(
      merged.filter((e) => source.some((n) => e.startsWith(`${n}:`))),
      source.map((n) => merged.find((e) => e.startsWith(`${n}:`))),
    );
  }
});

test('a single source passes through as it is; no sources, no entries', async () => {
  assert.deepEqual(await collect(mergeZipEntries([entries(['x', 'y'], 2, 4)], 1)), ['x:2', 'y:2']);
  assert.deepEqual(await collect(mergeZipEntries([], 1)), []);
});

test('read-ahead is bounded: a source waits while the entry being written comes from another', async () => {
  let pulledFromB = 0;
  async function* counted(): AsyncGenerator<ZipReadEvent> {
    for await (const event of entries(['b'], 100, 1000)) {
      pulledFromB++;
      yield event;
    }
  }
  const merged = mergeZipEntries([entries(['a'], 100, 1000), counted()], 10_000)[Symbol.asyncIterator]();
  await merged.next(); // a header: whichever source is first
  await sleep(20);
  assert.ok(pulledFromB < 20, `b read ${pulledFromB} events ahead`);
  await merged.return?.(undefined);
});

test('a failing source fails the merge; stopping early closes every source', async () => {
  async function* failing(): AsyncGenerator<ZipReadEvent> {
    yield* entries(['f'], 1, 4);
    throw new Error('git died');
  }
  await assert.rejects(collect(mergeZipEntries([entries(['ok1', 'ok2'], 2, 4), failing()], 100)), /git died/);

  const closed: string[] = [];
  async function* tracked(name: string): AsyncGenerator<ZipReadEvent> {
    try {
      yield* entries([`${name}1`, `${name}2`], 2, 4);
    } finally {
      closed.push(name);
    }
  }
  for await (const event of mergeZipEntries([tracked('p'), tracked('q')], 100)) if (event.kind === 'end') break;
  await sleep(10);
  assert.deepEqual(closed.sort(), ['p', 'q']);
});

test('partition: groups cover every file once, heavy directories are split, and the work is balanced', () => {
  const files = [
    ...Array.from({ length: 40 }, (_, i) => ({ path: `heavy/deep/p${i % 4}/f${i}.go`, size: 100_000 })),
    ...Array.from({ length: 30 }, (_, i) => ({ path: `light${i % 3}/f${i}.go`, size: 20_000 })),
    { path: 'root.go', size: 500 },
  ];
  const groups = partitionFiles(files, 2);
  assert.equal(groups.length, 2);
  const owner = (path: string) =>
    groups.findIndex((group) => group.some((piece) => path === piece || path.startsWith(`${piece}/`)));
  const load = [0, 0];
  for (const file of files) {
    const covering = groups.flat().filter((piece) => file.path === piece || file.path.startsWith(`${piece}/`));
    assert.equal(covering.length, 1, file.path);
    load[owner(file.path)]! += file.size + 4096;
  }
  assert.ok(Math.min(...load) / Math.max(...load) > 0.8, `loads ${load.join(', ')}`);
  assert.ok(!groups.flat().includes('heavy'), 'the heavy directory is split');
  assert.deepEqual(partitionFiles([{ path: 'only.go', size: 1 }], 4), [['only.go']]);
  // Splitting 'heavy' (one child) then 'heavy/deep' (four) would pass a bound of 5 pathspecs: not split.
  assert.ok(partitionFiles(files, 2, 5).flat().includes('heavy/deep'), 'the pathspec bound holds');
});
