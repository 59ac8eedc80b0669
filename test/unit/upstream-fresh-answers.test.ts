/**
 * Moving upstream answers (lib/upstream/fresh-answers.ts): asked once per period, shared by
 * concurrent callers, served stale while every upstream fails, and never hiding a "not found".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notFound } from '../../lib/common/errors.ts';
import { upstreamFailed } from '../../lib/upstream/client.ts';
import { FreshAnswers } from '../../lib/upstream/fresh-answers.ts';

function answers() {
  let now = 0;
  const stale: string[] = [];
  const fresh = new FreshAnswers({ periodSeconds: 60, onStale: (key) => stale.push(key), now: () => now });
  return { fresh, stale, advance: (seconds: number) => (now += seconds * 1000) };
}

test('an answer is asked once per period, by one request for concurrent callers', async () => {
  const { fresh, advance } = answers();
  let asked = 0;
  const fetch = async () => Buffer.from(`v1.0.${asked++}\n`);
  const first = await Promise.all([fresh.get('m/@v/list', fetch), fresh.get('m/@v/list', fetch)]);
  assert.deepEqual(first.map((a) => a.body.toString()), ['v1.0.0\n', 'v1.0.0\n']);
  advance(59);
  assert.equal((await fresh.get('m/@v/list', fetch)).body.toString(), 'v1.0.0\n');
  advance(1);
  assert.equal((await fresh.get('m/@v/list', fetch)).body.toString(), 'v1.0.1\n');
  assert.equal(asked, 2);
});

test('while every upstream fails the last answer is served stale, and the upstream is asked again only in the next period', async () => {
  const { fresh, stale, advance } = answers();
  await fresh.get('m/@latest', async () => Buffer.from('{"Version":"v1.0.0"}'));
  advance(60);
  let failures = 0;
  const failing = async (): Promise<Buffer> => {
    failures++;
    throw upstreamFailed('connection refused');
  };
  const answer = await fresh.get('m/@latest', failing);
  assert.deepEqual({ body: answer.body.toString(), stale: answer.stale }, {
    body: '{"Version":"v1.0.0"}',
    stale: true,
  });
  assert.equal((await fresh.get('m/@latest', failing)).stale, true);
  assert.equal(failures, 1);
  assert.deepEqual(stale, ['m/@latest']);
  assert.equal(fresh.staleAnswers, 2);
  await assert.rejects(fresh.get('never/@latest', failing), /upstream failed/);
});

test('"not found" from every upstream is passed on, never hidden by an older answer', async () => {
  const { fresh, advance } = answers();
  await fresh.get('gone/@v/list', async () => Buffer.from('v1.0.0\n'));
  advance(60);
  await assert.rejects(
    fresh.get('gone/@v/list', async () => {
      throw notFound('gone upstream');
    }),
    /gone upstream/,
  );
});
