/**
 * The zip spool over real files, with zip streams and clients made in the test: a client that keeps
 * up gets the zip straight, one that falls behind gets it through a spool file that the producer
 * (git) fills at its own speed, the byte bound hands the rest back to the client's pace, and every
 * way out (done, producer failure, client gone, no disk) leaves no file behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ModuleZipStream } from '../../lib/zip/source.ts';
import { BEHIND_MS, type ZipSink, ZipSpool } from '../../lib/zip/spool.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

let root: string;
before(async () => {
  root = await makeTempDir('zip-spool');
});
after(async () => {
  await removeDir(root);
});

let dirs = 0;
const newSpool = (maxBytes = 1 << 20, warnings: string[] = []): ZipSpool =>
  new ZipSpool({ dir: join(root, `spool-${dirs++}`), maxBytes, warn: (message) => warnings.push(message) });
const spoolFiles = (spool: ZipSpool): string[] => (existsSync(spool.dir) ? readdirSync(spool.dir) : []);

/** A zip of `count` chunks of `size` bytes (chunk i filled with i), made as fast as it is read; failing at chunk `failAt` if given. */
function producer(count: number, size: number, failAt?: number) {
  const state = { produced: 0, done: false, cancelled: false, closed: false };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      for (let i = 0; i < count; i++) {
        if (i === failAt) throw new Error('git died');
        await sleep(0);
        state.produced++;
        yield Buffer.alloc(size, i);
      }
      state.done = true;
    } finally {
      state.closed = true;
    }
  }
  const stream: ModuleZipStream = { chunks: chunks(), cancel: () => (state.cancelled = true) };
  return { stream, state, expected: Buffer.concat(Array.from({ length: count }, (_, i) => Buffer.alloc(size, i))) };
}

/**
 * A client: fast takes everything at once; a slow one takes nothing until `resume()` (or `leave()`),
 * then everything.
 */
function client(speed: 'fast' | 'slow') {
  const received: Buffer[] = [];
  let resume: () => void = () => undefined;
  let leave: (error: Error) => void = () => undefined;
  const gate = new Promise<void>((resolve, reject) => {
    resume = resolve;
    leave = reject;
  });
  let open = speed === 'fast';
  gate.then(
    () => (open = true),
    () => undefined,
  );
  const sink: ZipSink = {
    write: (chunk) => {
      received.push(Buffer.from(chunk));
      return open;
    },
    drained: () => (open ? Promise.resolve() : gate),
  };
  return {
    sink,
    body: () => Buffer.concat(received),
    resume: () => resume(),
    leave: () => leave(new Error('client went away')),
  };
}

describe('ZipSpool', () => {
  test('a client that keeps up gets the zip straight: no spool file', async () => {
    const spool = newSpool();
    const zip = producer(20, 1000);
    const fast = client('fast');
    await spool.relay(zip.stream, fast.sink);
    assert.deepEqual(fast.body(), zip.expected);
    assert.deepEqual(spool.stats, { maxBytes: 1 << 20, files: 0, bytes: 0, spooled: 0, full: 0 });
    assert.deepEqual(spoolFiles(spool), []);
  });

  test('a client that falls behind: the producer finishes into the spool file while the client waits, then the client gets it all and the file goes', async () => {
    const spool = newSpool();
    const zip = producer(50, 10_000);
    const slow = client('slow');
    const relay = spool.relay(zip.stream, slow.sink);
    const started = performance.now();
    while (!zip.state.done) await sleep(5);
    assert.ok(performance.now() - started >= BEHIND_MS - 5, 'the client had BEHIND_MS to keep up');
    assert.ok(
      slow.body().length <= 20_000,
      'the client has what it was sent before it fell behind and one block of the file',
    );
    assert.deepEqual(spool.stats, { maxBytes: 1 << 20, files: 1, bytes: 490_000, spooled: 1, full: 0 });
    slow.resume();
    await relay;
    assert.deepEqual(slow.body(), zip.expected);
    assert.deepEqual(spoolFiles(spool), []);
    assert.equal(spool.stats.bytes, 0);
  });

  test('at the bound the spool stops growing: the client gets the file, then the rest at its own pace', async () => {
    const spool = newSpool(25_000);
    const zip = producer(10, 10_000);
    const slow = client('slow');
    const relay = spool.relay(zip.stream, slow.sink);
    while (spool.stats.full === 0) await sleep(5);
    await sleep(50);
    assert.equal(zip.state.produced, 4, 'one chunk sent, two spooled, one held: the producer waits for the client');
    assert.equal(spool.stats.bytes, 20_000);
    slow.resume();
    await relay;
    assert.deepEqual(slow.body(), zip.expected);
    assert.deepEqual(spoolFiles(spool), []);
    assert.equal(spool.stats.bytes, 0);
  });

  test('a client that goes away after the bound closes the zip stream held there and removes the file', async () => {
    const spool = newSpool(25_000);
    const zip = producer(10, 10_000);
    const slow = client('slow');
    const relay = spool.relay(zip.stream, slow.sink);
    while (spool.stats.full === 0) await sleep(5);
    slow.leave();
    await assert.rejects(relay, /client went away/);
    assert.ok(zip.state.closed, 'the stream was closed (its git process goes with it)');
    assert.deepEqual(spoolFiles(spool), []);
    assert.equal(spool.stats.bytes, 0);
  });

  test('a producer that fails while spooling fails the relay; the file goes', async () => {
    const spool = newSpool();
    const zip = producer(10, 10_000, 6);
    const slow = client('slow');
    const relay = spool.relay(zip.stream, slow.sink);
    while (!zip.state.closed) await sleep(5);
    slow.resume();
    await assert.rejects(relay, /git died/);
    assert.ok(slow.body().length < zip.expected.length);
    assert.deepEqual(spoolFiles(spool), []);
    assert.equal(spool.stats.bytes, 0);
  });

  test('a client that goes away while spooling cancels the producer and removes the file', async () => {
    const spool = newSpool();
    const zip = producer(1000, 10_000);
    const slow = client('slow');
    const relay = spool.relay(zip.stream, slow.sink);
    while (spool.stats.files === 0) await sleep(5);
    slow.leave();
    await assert.rejects(relay, /client went away/);
    assert.ok(zip.state.cancelled);
    assert.deepEqual(spoolFiles(spool), []);
  });

  test('a client that goes away before falling behind closes the zip stream, with no file made', async () => {
    const spool = newSpool();
    const zip = producer(1000, 10_000);
    const slow = client('slow');
    const relay = spool.relay(zip.stream, slow.sink);
    slow.leave();
    await assert.rejects(relay, /client went away/);
    assert.ok(zip.state.closed, 'the stream was closed (its git process goes with it)');
    assert.equal(spool.stats.spooled, 0);
  });

  test('no spool file can be made: a warning, and the zip goes whole at the client pace', async () => {
    const warnings: string[] = [];
    const spool = newSpool(1 << 20, warnings);
    writeFileSync(spool.dir, 'not a directory');
    const zip = producer(10, 10_000);
    const slow = client('slow');
    const relay = spool.relay(zip.stream, slow.sink);
    while (warnings.length === 0) await sleep(5);
    assert.match(warnings[0]!, /^zip spool: cannot create .*; the zip goes on at its client's pace$/);
    assert.ok(!zip.state.done);
    slow.resume();
    await relay;
    assert.deepEqual(slow.body(), zip.expected);
  });

  test('close() removes the files of relays still running', async () => {
    const spool = newSpool();
    const zip = producer(10, 10_000);
    const slow = client('slow');
    const relay = spool.relay(zip.stream, slow.sink);
    while (!zip.state.done) await sleep(5);
    assert.equal(spoolFiles(spool).length, 1);
    spool.close();
    assert.deepEqual(spoolFiles(spool), []);
    slow.leave();
    await assert.rejects(relay);
  });
});
