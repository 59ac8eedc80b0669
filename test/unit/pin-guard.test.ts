/**
 * The pin guard over real repositories: zips held back until pinned, refused when they differ from
 * the pin, pins made by `.mod` and `.zip` under the owning project, pinned versions kept after
 * their tags move.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { resolveOptions } from '../../lib/cli/config.ts';
import { ProxyError } from '../../lib/common/errors.ts';
import { logger } from '../../lib/common/log.ts';
import { PINS_FILE } from '../../lib/pins/file-store.ts';
import { ModuleService } from '../../lib/access/module-service.ts';
import { LocalModule, type ModuleTarget } from '../../lib/access/local-module.ts';
import { Hash1, hashGoMod } from '../../lib/zip/hash.ts';
import { createRepo, type FixtureRepo } from '../support/git-fixture.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const MODULE = 'go.localhost/group/guarded';
const PROJECT = 'group/guarded';
const CLIENT = 'address 127.0.0.1';
const GO_MOD = `module ${MODULE}\n`;
const FORGED = `h1:${'A'.repeat(43)}=`;

async function drain(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const got: Uint8Array[] = [];
  for await (const chunk of chunks) got.push(chunk);
  return got;
}

describe('pin guard', () => {
  let root: string;
  let repo: FixtureRepo;
  let commits: string[];
  const warnings: string[] = [];
  const services: ModuleService[] = [];

  /** A service over the fixture with its own data dir, optionally seeded with pin lines. */
  async function openService(
    name: string,
    lines: object[] = [],
  ): Promise<{ service: ModuleService; target: ModuleTarget; dataDir: string }> {
    const dataDir = join(root, `.data-${name}`);
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, PINS_FILE), lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
    const service = new ModuleService(resolveOptions({ repos: root, dataDir }));
    services.push(service);
    return { service, target: (await service.operatorTarget(MODULE))!, dataDir };
  }

  before(async () => {
    root = await makeTempDir('pin-guard');
    repo = await createRepo(root, 'group/guarded');
    commits = [];
    for (const [i, version] of ['v1.0.0', 'v1.1.0', 'v1.2.0'].entries()) {
      commits.push(
        await repo.commit({ 'go.mod': GO_MOD, 'p.go': `package p\n\nconst N = ${i}\n` }, {
          date: new Date(Date.UTC(2024, 0, 1 + i)),
        }),
      );
      await repo.tag(version);
    }
  });

  after(async () => {
    await Promise.all(services.map((service) => service.close()));
    await removeDir(root);
  });

  test('a zip whose recomputed hash differs from its pin fails before its last chunk, and nothing is recorded', async () => {
    const pinned = {
      module: MODULE,
      version: 'v1.0.0',
      commit: commits[0],
      time: '2024-01-01T00:00:00Z',
      mod: hashGoMod(Buffer.from(GO_MOD)),
      zip: FORGED,
    };
    const { service, target, dataDir } = await openService('forged-zip', [pinned]);
    const version = await service.pins.exact(target, 'v1.0.0');
    assert.equal(version.commit, commits[0]);
    const reference = await openService('forged-zip-reference');
    const whole = Buffer.concat(
      await drain(
        (await reference.service.zips.stream(reference.target, version, CLIENT, new AbortController().signal)).chunks,
      ),
    );
    const guarded = await service.zips.stream(target, version, CLIENT, new AbortController().signal);
    const sent: Uint8Array[] = [];
    await assert.rejects(
      (async () => {
        for await (const chunk of guarded.chunks) sent.push(chunk);
      })(),
      (error: ProxyError) =>
        error.kind === 'content-changed' &&
        /v1\.0\.0: content differs from what this proxy served before/.test(error.message),
    );
    assert.deepEqual(Buffer.concat(sent), whole.subarray(0, whole.length - 22), 'all but the end record is sent');
    assert.equal(readFileSync(join(dataDir, PINS_FILE), 'utf8'), `${JSON.stringify(pinned)}\n`);
  });

  test('until the pin holds, a zip goes out as it comes but for its last 22 bytes, whatever its chunks', async () => {
    const { service, target } = await openService('tail');
    const version = await service.pins.exact(target, 'v1.0.0');
    const input = [3, 40, 5, 22, 1, 30, 2].map((length, i) => Buffer.alloc(length, i + 1));
    const whole = Buffer.concat(input);
    let sentBeforePin = -1;
    const stream = await service.pins.zip(target, version, CLIENT, async () => ({
      chunks: (async function* () {
        yield* input;
        sentBeforePin = sent.length;
      })(),
      cancel: () => undefined,
    }));
    const sent: number[] = [];
    const out: Uint8Array[] = [];
    for await (const chunk of stream.chunks) {
      assert.ok(chunk.length > 0, 'no empty chunks');
      out.push(chunk);
      sent.push(chunk.length);
    }
    assert.deepEqual(Buffer.concat(out), whole);
    assert.equal(sent.slice(0, sentBeforePin).reduce((a, b) => a + b, 0), whole.length - 22);
    assert.match((await service.pins.store.get(PROJECT, MODULE, 'v1.0.0'))?.zip ?? '', /^h1:/);
  });

  test('a go.mod whose hash differs from its pin is refused', async () => {
    const pinned = { module: MODULE, version: 'v1.0.0', commit: commits[0], time: '2024-01-01T00:00:00Z', mod: FORGED };
    const { service, target } = await openService('forged-mod', [pinned]);
    const version = await service.pins.exact(target, 'v1.0.0');
    await assert.rejects(
      service.pins.recordGoMod(target, version, CLIENT),
      (error: ProxyError) => error.kind === 'content-changed',
    );
  });

  test('a served .mod pins commit, time and go.mod hash; the zip hash is added when the zip is served', async () => {
    const { service, target, dataDir } = await openService('record');
    const version = await service.pins.exact(target, 'v1.1.0');
    await service.pins.recordGoMod(target, version, CLIENT);
    const expected = {
      project: PROJECT,
      module: MODULE,
      version: 'v1.1.0',
      commit: commits[1],
      time: '2024-01-02T00:00:00Z',
      mod: hashGoMod(Buffer.from(GO_MOD)),
    };
    assert.deepEqual(await service.pins.store.get(PROJECT, MODULE, 'v1.1.0'), expected);
    await drain((await service.zips.stream(target, version, CLIENT, new AbortController().signal)).chunks);
    assert.match((await service.pins.store.get(PROJECT, MODULE, 'v1.1.0'))?.zip ?? '', /^h1:/);
    assert.equal(readFileSync(join(dataDir, PINS_FILE), 'utf8').split('\n').length, 3);
  });

  test("a process hashes a version's zip until it has found it equal to its pin, then streams it unhashed; a restart hashes it again", async () => {
    const { service, target, dataDir } = await openService('verified-once');
    const version = await service.pins.exact(target, 'v1.2.0');
    const hashedFiles = mock.method(Hash1.prototype, 'add');
    const serve = async (guard: ModuleService): Promise<{ hashed: boolean; bytes: Buffer }> => {
      const before = hashedFiles.mock.callCount();
      const stream = await guard.zips.stream(
        (await guard.operatorTarget(MODULE))!,
        version,
        CLIENT,
        new AbortController().signal,
      );
      const bytes = Buffer.concat(await drain(stream.chunks));
      return { hashed: hashedFiles.mock.callCount() > before, bytes };
    };
    try {
      assert.equal(target.project.fullPath, PROJECT);
      const first = await serve(service);
      const second = await serve(service);
      assert.deepEqual([first.hashed, second.hashed], [true, false]);
      assert.deepEqual(second.bytes, first.bytes);
      const restarted = new ModuleService(resolveOptions({ repos: root, dataDir }));
      services.push(restarted);
      assert.equal((await serve(restarted)).hashed, true);
    } finally {
      hashedFiles.mock.restore();
    }
  });

  test('a pinned version whose tag moved or went away keeps its commit, its place in list and latest; mismatches are counted once', async () => {
    const pinned = (version: string, commit: string, day: string) => ({
      module: MODULE,
      version,
      commit,
      time: `2024-01-${day}T00:00:00Z`,
      mod: hashGoMod(Buffer.from(GO_MOD)),
    });
    const { service, target } = await openService('moved', [
      pinned('v1.2.0', commits[2]!, '03'),
      pinned('v1.3.0', commits[1]!, '02'),
      pinned('v1.0.0', commits[0]!, '01'),
    ]);
    mock.method(logger, 'warn', (message: string) => warnings.push(message));
    try {
      assert.equal((await service.pins.stat(target, 'v1.3.0')).commit, commits[1], 'a pin without a tag');
      assert.equal((await service.pins.latest(target)).version, 'v1.3.0');
      assert.equal((await service.pins.stat(target, 'latest')).version, 'v1.3.0');
      assert.deepEqual((await new LocalModule(target, service).list()).versions, [
        'v1.0.0',
        'v1.1.0',
        'v1.2.0',
        'v1.3.0',
      ]);
      await repo.tag('v1.0.0', commits[2]);
      // A target answers one request from one snapshot of the refs: the next request sees the move.
      const next = (await service.operatorTarget(MODULE))!;
      assert.equal((await service.pins.exact(next, 'v1.0.0')).commit, commits[0]);
      assert.equal(
        (await service.pins.stat(next, commits[2]!.slice(0, 12))).version,
        'v1.2.0',
        'a hash query is answered as the repository resolves it',
      );
      assert.equal(service.pins.tagMismatches, 2);
      assert.equal(warnings.filter((w) => w.includes(`${MODULE}@v1.0.0 is pinned to commit ${commits[0]}`)).length, 1);
      assert.equal(
        warnings.filter((w) =>
          w.includes(`${MODULE}@v1.3.0 is pinned to commit ${commits[1]}, but the repository no longer has it`)
        ).length,
        1,
      );
    } finally {
      mock.restoreAll();
      await repo.tag('v1.0.0', commits[0]);
    }
  });
});
