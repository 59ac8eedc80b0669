/**
 * The git process limiter (lib/git/limiter.ts): a bounded number of slots, a FIFO queue, a busy
 * error that says when to retry when the queue is full, aborted waits, and size validation.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GitBusyError, Limiter } from '../../lib/git/limiter.ts';

test('grants up to `concurrency` slots at once and queues the rest in FIFO order', async () => {
  const limiter = new Limiter({ concurrency: 2, queueLimit: 5 });
  const first = await limiter.acquire();
  const second = await limiter.acquire();
  assert.equal(limiter.running, 2);
  const order: string[] = [];
  const third = limiter.acquire().then((release) => (order.push('third'), release));
  const fourth = limiter.acquire().then((release) => (order.push('fourth'), release));
  assert.equal(limiter.queued, 2);
  first();
  first(); // a second call must not free a second slot
  const releaseThird = await third;
  assert.equal(limiter.running, 2);
  assert.equal(limiter.queued, 1);
  second();
  const releaseFourth = await fourth;
  assert.deepEqual(order, ['third', 'fourth']);
  releaseThird();
  releaseFourth();
  assert.equal(limiter.running, 0);
  assert.equal(limiter.queued, 0);
});

test('rejects with a busy error that says when to retry when the queue is full', async () => {
  const limiter = new Limiter({ concurrency: 1, queueLimit: 1, retryAfterSeconds: 7 });
  const release = await limiter.acquire();
  const waiting = limiter.acquire();
  const error = await limiter.acquire().then(
    () => assert.fail('expected a busy error'),
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof GitBusyError);
  assert.equal(error.kind, 'busy');
  assert.equal(error.retryAfterSeconds, 7);
  release();
  (await waiting)();
  assert.equal(limiter.running, 0);
});

test('an aborted wait leaves the queue and rejects with the abort reason', async () => {
  const limiter = new Limiter({ concurrency: 1, queueLimit: 4 });
  const release = await limiter.acquire();
  const controller = new AbortController();
  const waiting = limiter.acquire(controller.signal);
  const next = limiter.acquire();
  assert.equal(limiter.queued, 2);
  const reason = new Error('client went away');
  controller.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  assert.equal(limiter.queued, 1);
  release();
  (await next)();
  assert.equal(limiter.running, 0);
});

test('an already aborted signal is refused without taking a slot', async () => {
  const limiter = new Limiter({ concurrency: 1 });
  await assert.rejects(limiter.acquire(AbortSignal.abort(new Error('gone'))), /gone/);
  assert.equal(limiter.running, 0);
});

test('sizes default to the core count and must be positive integers', () => {
  const limiter = new Limiter();
  assert.ok(limiter.concurrency >= 1);
  assert.equal(limiter.queueLimit, limiter.concurrency * 32);
  assert.throws(() => new Limiter({ concurrency: 0 }), RangeError);
  assert.throws(() => new Limiter({ concurrency: 1.5 }), RangeError);
  assert.throws(() => new Limiter({ queueLimit: -1 }), RangeError);
});
