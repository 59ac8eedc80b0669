/**
 * The in-memory cache of immutable answers (lib/common/immutable-cache.ts): single-flight lookups,
 * failures shared but not cached, LRU eviction by entries and by weight, values it must not keep.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ImmutableCache } from '../../lib/common/immutable-cache.ts';

test('concurrent lookups of one key share one computation, later ones hit the cache', async () => {
  const cache = new ImmutableCache<string>({ maxEntries: 10, maxWeight: 10 });
  let calls = 0;
  const compute = async () => {
    calls++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return 'value';
  };
  assert.deepEqual(await Promise.all([cache.get('k', compute), cache.get('k', compute)]), ['value', 'value']);
  assert.equal(await cache.get('k', compute), 'value');
  assert.equal(calls, 1);
});

test('a failed computation is shared by its waiters but not cached', async () => {
  const cache = new ImmutableCache<number>({ maxEntries: 10, maxWeight: 10 });
  let calls = 0;
  const failing = async () => {
    calls++;
    throw new Error('boom');
  };
  const results = await Promise.allSettled([cache.get('k', failing), cache.get('k', failing)]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  assert.equal(calls, 1);
  assert.equal(await cache.get('k', async () => 7), 7);
  assert.equal(cache.size, 1);
});

test('least recently used entries go first when over the entry or weight bound', async () => {
  const cache = new ImmutableCache<string>({ maxEntries: 2, maxWeight: 100, weigh: (v) => v.length });
  await cache.get('a', async () => 'a');
  await cache.get('b', async () => 'b');
  await cache.get('a', async () => 'never'); // a is now the most recent
  await cache.get('c', async () => 'c'); // evicts b
  assert.equal(await cache.get('a', async () => 'recomputed'), 'a');
  assert.equal(await cache.get('b', async () => 'recomputed'), 'recomputed');

  const light = new ImmutableCache<string>({ maxEntries: 10, maxWeight: 5, weigh: (v) => v.length });
  await light.get('x', async () => 'xxx');
  await light.get('y', async () => 'yyy'); // 6 > 5: x goes
  assert.equal(light.size, 1);
  await light.get('z', async () => 'zzzzzz'); // heavier than the bound: returned, not kept
  assert.equal(light.size, 1);
  assert.equal(await light.get('z', async () => 'again'), 'again');
});

test('values the keep option refuses are recomputed next time', async () => {
  const cache = new ImmutableCache<number | undefined>({ maxEntries: 10, maxWeight: 10, keep: (v) => v !== undefined });
  assert.equal(await cache.get('k', async () => undefined), undefined);
  assert.equal(await cache.get('k', async () => 3), 3);
  assert.equal(await cache.get('k', async () => 4), 3);
});

test('without a weight bound, each entry weighs one and the entry bound is the only one', async () => {
  const cache = new ImmutableCache<string>({ maxEntries: 2 });
  for (const key of ['a', 'b', 'c']) await cache.get(key, async () => key.repeat(1000));
  assert.equal(cache.size, 2);
  assert.equal(cache.peek('a'), undefined, 'the least recently used went');
  assert.equal(cache.peek('c'), 'c'.repeat(1000));
});
