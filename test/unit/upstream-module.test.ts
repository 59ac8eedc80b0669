/**
 * Which module the service hands out for a path (access/module-service.ts): a local project's, an
 * upstream one (access/upstream-module.ts) on the instance endpoint for a path no project owns and
 * that may leave, else the 404 of a missing module. Nothing here asks an upstream: the upstream's
 * URL is never reached, and every answer checked is made without it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ModuleService } from '../../lib/access/module-service.ts';
import type { Scope } from '../../lib/access/service.ts';
import { resolveOptions } from '../../lib/cli/config.ts';
import { ProxyError } from '../../lib/common/errors.ts';
import { UPSTREAM } from '../../lib/pins/store.ts';
import { createRepo } from '../support/git-fixture.ts';
import { withTempDir } from '../support/temp.ts';

const SECRET = 'upstream-module-test-secret';
const INSTANCE: Scope = { kind: 'instance' };

async function withService(
  options: { upstreamAccess?: 'anyone' | 'authenticated' },
  run: (service: ModuleService) => Promise<void>,
): Promise<void> {
  await withTempDir('upstream-module', async (dir) => {
    const repo = await createRepo(join(dir, 'repos'), 'acme/hello');
    await repo.commit({ 'go.mod': 'module go.localhost/acme/hello\n' }, { date: '2024-01-02T03:04:05Z' });
    await repo.tag('v1.0.0');
    const service = new ModuleService(resolveOptions({
      repos: join(dir, 'repos'),
      dataDir: join(dir, 'data'),
      defaultVisibility: 'public',
      upstream: ['http://127.0.0.1:9/never-asked'],
      private: 'corp.example.com',
      tokens: [{ name: 'ci', sha256: createHash('sha256').update(SECRET).digest('hex'), grants: [] }],
      ...options,
    }));
    try {
      await service.ready;
      await run(service);
    } finally {
      await service.close();
    }
  });
}

const anonymous = (service: ModuleService) => service.caller({ headers: {}, remoteAddress: '192.0.2.1' });
const withToken = (service: ModuleService) =>
  service.caller({ headers: { authorization: `Bearer ${SECRET}` }, remoteAddress: '192.0.2.1' });

function notFound(run: () => unknown, reason: RegExp): void {
  assert.throws(
    run,
    (error: unknown) => error instanceof ProxyError && error.kind === 'not-found' && reason.test(error.message),
  );
}

test('a path no project owns is an upstream module on the instance endpoint, with no page facts of its own', async () => {
  await withService({}, async (service) => {
    const local = service.module(INSTANCE, 'go.localhost/acme/hello', anonymous(service));
    assert.equal(local.owner, 'acme/hello');
    const module = service.module(INSTANCE, 'github.example/acme/lib', anonymous(service));
    assert.deepEqual([module.project, module.owner, module.shared], [undefined, UPSTREAM, true]);
    assert.equal(await module.pin('v1.0.0'), undefined);
    assert.deepEqual(await module.relatedModulePaths(), ['github.example/acme/lib']);
    const version = {
      modulePath: module.modulePath,
      version: 'v1.0.0',
      time: new Date(0),
      commit: undefined,
      tag: undefined,
    };
    assert.equal(await module.zipRefusal(version), undefined);
    assert.equal(module.retryAfterSeconds, undefined);
    for (
      const facts of [module.commitFacts(version), module.licenses(version), module.versionFile(version, 'LICENSE', 1)]
    ) {
      await assert.rejects(facts, /not found: .*not shown here/);
    }
    // Not a canonical version: refused before anything is asked.
    await assert.rejects(module.exact('master'), /not a canonical version/);
  });
});

test('private paths, other scopes and callers without a token under "authenticated" get the 404 of a missing module', async () => {
  await withService({ upstreamAccess: 'authenticated' }, async (service) => {
    const caller = anonymous(service);
    for (const path of ['go.localhost/acme/missing', 'corp.example.com/secret', 'go.localhost']) {
      notFound(() => service.module(INSTANCE, path, withToken(service)), /no such module on this server/);
    }
    notFound(
      () => service.module({ kind: 'project', id: 'acme/hello' }, 'github.example/acme/lib', withToken(service)),
      /no such module/,
    );
    notFound(() => service.module(INSTANCE, 'github.example/acme/lib', caller), /served to callers with a token only/);
    const module = service.module(INSTANCE, 'github.example/acme/lib', withToken(service));
    assert.deepEqual([module.owner, module.shared], [UPSTREAM, false]);
  });
});
