/**
 * The zip cache over real files, with zip streams made in the test: one build per key however
 * many readers, followers read what the build has written so far, complete zips come from disk
 * with ranges, a build everyone left is stopped, failures reach every reader, the byte bound holds,
 * and a restart keeps complete zips and drops part files.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestedRange } from '../../lib/http/range.ts';
import type { ModuleZipStream } from '../../lib/zip/source.ts';
import { type CachedZip, ZipCache } from '../../lib/zip/cache.ts';
import { ProxyError } from '../../lib/common/errors.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

let root: string;
before(async () => {
  root = await makeTempDir('zip-cache');
});
after(async () => {
  await removeDir(root);
});

let dirs = 0;
const newCache = (maxBytes = 1 << 20): ZipCache => new ZipCache({ dir: join(root, `cache-${dirs++}`), maxBytes });
const key = (name: string): string => ZipCache.key([name]);

/** A zip stream of `pieces`, released one by one through `next()`; records cancel and the signal. */
function controlledStream(
  pieces: readonly string[],
  signal: AbortSignal,
): { stream: ModuleZipStream; next: () => void; cancelled: () => boolean } {
  let releases = 0;
  let wake: () => void = () => undefined;
  let cancelled = false;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (const [i, piece] of pieces.entries()) {
      while (releases <= i) {
        if (signal.aborted) throw new Error('aborted');
        await new Promise<void>((resolve) => {
          wake = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
      yield Buffer.from(piece);
    }
  }
  return {
    stream: { chunks: chunks(), cancel: () => (cancelled = true) },
    next: () => {
      releases++;
      wake();
    },
    cancelled: () => cancelled,
  };
}

async function readAll(zip: CachedZip, start?: number, end?: number): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const chunk of zip.read(start, end)) parts.push(chunk);
  return Buffer.concat(parts).toString();
}

test('concurrent readers share one build and each reads every byte; then the zip comes from disk with its size', async () => {
  const cache = newCache();
  let produced = 0;
  let control: ReturnType<typeof controlledStream> | undefined;
  const produce = async (signal: AbortSignal) => {
    produced++;
    control = controlledStream(['ab', 'cd', 'ef'], signal);
    return control.stream;
  };
  const first = await cache.open(key('a'), produce);
  const reading = readAll(first);
  control!.next();
  await sleep(20);
  const second = await cache.open(key('a'), produce); // joins after the first piece was written
  assert.equal(second.size, undefined);
  const secondReading = readAll(second);
  control!.next();
  control!.next();
  assert.deepEqual(await Promise.all([reading, secondReading]), ['abcdef', 'abcdef']);
  first.close();
  second.close();
  assert.equal(produced, 1);
  assert.ok(cache.has(key('a')));
  const third = await cache.open(key('a'), produce);
  assert.equal(third.size, 6);
  assert.equal(await readAll(third, 2, 5), 'cde');
  third.close();
  assert.equal(produced, 1);
});

test('a build every reader left is stopped: its stream cancelled, nothing kept, the next open builds again', async () => {
  const cache = newCache();
  let control: ReturnType<typeof controlledStream> | undefined;
  let signal: AbortSignal | undefined;
  const produce = async (given: AbortSignal) => {
    signal = given;
    control = controlledStream(['ab', 'cd'], given);
    return control.stream;
  };
  const zip = await cache.open(key('left'), produce);
  const left = control!;
  left.next();
  const iterator = zip.read();
  assert.equal(Buffer.from((await iterator.next()).value as Uint8Array).toString(), 'ab');
  await iterator.return(undefined);
  zip.close();
  assert.equal(signal?.aborted, true);
  // A request right after gets a new build, not the one being torn down.
  const again = await cache.open(key('left'), produce);
  assert.notEqual(control, left);
  control!.next();
  control!.next();
  assert.equal(await readAll(again), 'abcd');
  again.close();
  await sleep(20);
  assert.equal(left.cancelled(), true);
  assert.equal(cache.has(key('left')), true);
  assert.deepEqual(readdirSync(cache.dir), [`${key('left')}.zip`]);
});

test('a build that fails fails every reader; one that cannot start rejects every opener with its error', async () => {
  const cache = newCache();
  const failing = async (): Promise<ModuleZipStream> => ({
    chunks: (async function* () {
      yield Buffer.from('partial');
      throw new Error('git died');
    })(),
    cancel: () => undefined,
  });
  const [a, b] = await Promise.all([cache.open(key('fail'), failing), cache.open(key('fail'), failing)]);
  await assert.rejects(readAll(a), /git died/);
  await assert.rejects(readAll(b), /git died/);
  a.close();
  b.close();
  assert.equal(cache.has(key('fail')), false);
  assert.deepEqual(readdirSync(cache.dir), []);

  const refusing = async (): Promise<ModuleZipStream> => {
    throw new ProxyError('not-found', 'not found: no such version');
  };
  const openers = [cache.open(key('refused'), refusing), cache.open(key('refused'), refusing)];
  for (const opener of openers) await assert.rejects(opener, { kind: 'not-found' });
});

test("the byte bound evicts the least recently used zips; a restart keeps complete zips and removes crashed builds' part files; siblings' zips are taken up", async () => {
  const dir = join(root, 'bounded');
  const removed: string[] = [];
  const stored: string[] = [];
  const cache = new ZipCache({ dir, maxBytes: 10, onRemoved: (gone) => removed.push(gone) });
  const whole = (text: string) => async (): Promise<ModuleZipStream> => ({
    chunks: (async function* () {
      yield Buffer.from(text);
    })(),
    cancel: () => undefined,
  });
  for (const name of ['one', 'two']) {
    const zip = await cache.open(key(name), whole('12345'), () => stored.push(name));
    await readAll(zip);
    zip.close();
  }
  (await cache.open(key('one'), whole('xxxxx'))).close(); // a use: 'two' is now the oldest
  const three = await cache.open(key('three'), whole('abcde'));
  await readAll(three);
  three.close();
  assert.deepEqual([cache.has(key('one')), cache.has(key('two')), cache.has(key('three'))], [true, false, true]);
  assert.equal(cache.bytes, 10);
  assert.deepEqual([stored, removed], [['one', 'two'], [key('two')]]);

  const crashed = join(dir, `${key('crashed')}.4194303.0.part`); // no such process
  const sibling = join(dir, `${key('sibling')}.${process.pid}.0.part`); // a live process's build
  writeFileSync(crashed, 'half');
  writeFileSync(sibling, 'half');
  const restarted = new ZipCache({ dir, maxBytes: 10 });
  assert.deepEqual([existsSync(crashed), existsSync(sibling)], [false, true]);
  assert.deepEqual([restarted.has(key('one')), restarted.has(key('three'))], [true, true]);
  const reopened = await restarted.open(key('three'), whole('never used'));
  assert.equal(await readAll(reopened), 'abcde');
  reopened.close();

  // A zip a sibling process completed after this one started is taken up, not built again.
  writeFileSync(join(dir, `${key('theirs')}.zip`), 'xyz');
  const theirs = await restarted.open(key('theirs'), whole('never used'));
  assert.equal(theirs.size, 3);
  assert.equal(await readAll(theirs), 'xyz');
  theirs.close();

  const tooBig = await restarted.open(key('big'), whole('a zip larger than the cache'));
  assert.equal(await readAll(tooBig), 'a zip larger than the cache');
  tooBig.close();
  assert.equal(restarted.has(key('big')), false);
});

test('Range: single ranges of a known length; several ranges, bad syntax and If-Range answer whole', () => {
  const ask = (range: string | undefined, ifRange?: string) =>
    requestedRange({ headers: { range, 'if-range': ifRange } } as unknown as IncomingMessage, 100);
  assert.deepEqual(ask('bytes=0-9'), { start: 0, end: 10 });
  assert.deepEqual(ask('bytes=90-'), { start: 90, end: 100 });
  assert.deepEqual(ask('bytes=-10'), { start: 90, end: 100 });
  assert.deepEqual(ask('bytes=-500'), { start: 0, end: 100 });
  assert.deepEqual(ask('bytes=50-500'), { start: 50, end: 100 });
  assert.equal(ask('bytes=100-'), 'unsatisfiable');
  assert.equal(ask('bytes=-0'), 'unsatisfiable');
  for (const whole of [undefined, 'bytes=0-1,5-6', 'items=0-1', 'bytes=-', 'bytes=9-2', 'bytes=x-']) {
    assert.equal(ask(whole), undefined, whole);
  }
  assert.equal(ask('bytes=0-9', 'W/"x"'), undefined);
});
