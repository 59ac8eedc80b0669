/**
 * The command line's live reload (lib/cli/reload.ts) over a real handler and a real config file:
 * a changed file is applied once, an unchanged rewrite is not; a file that cannot be read or fails
 * validation is refused with one error line; settings only a restart applies are reported; SIGHUP
 * reloads and rescans (only rescans without a config file); a file whose directory cannot be watched
 * is reported and SIGHUP still works. End to end with the server: test/e2e/live-reload.test.ts.
 */
import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfigFile, proxyOptionsOf, type ServerConfig } from '../../lib/cli/config.ts';
import { type ConfigReloader, watchConfig } from '../../lib/cli/reload.ts';
import { Logger } from '../../lib/common/log.ts';
import { createHandler, type GoProxyHandler } from '../../lib/index.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { within } from '../support/wait.ts';

describe('watchConfig', () => {
  let scratch: string;
  let file: string;
  let handler: GoProxyHandler;
  let started: ServerConfig;
  const lines: Array<Record<string, unknown>> = [];
  const logger = new Logger({
    level: 'debug',
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  const logged = (msg: string) => lines.filter((line) => line.msg === msg);
  const reloaders: ConfigReloader[] = [];
  const watching = (file: string | undefined, read = () => loadConfigFile(file!)) => {
    const reloader = watchConfig({ file, read, started, handler, logger });
    reloaders.push(reloader);
    return reloader;
  };

  const write = (config: ServerConfig) => {
    writeFileSync(`${file}.tmp`, JSON.stringify(config));
    renameSync(`${file}.tmp`, file);
  };

  before(async () => {
    scratch = await makeTempDir('reload-unit');
    file = join(scratch, 'config.json');
    started = { repos: join(scratch, 'repos'), dataDir: join(scratch, 'data'), listen: '127.0.0.1:8080' };
    write(started);
    handler = createHandler(proxyOptionsOf(loadConfigFile(file)));
    await handler.ready;
  });

  after(async () => {
    for (const reloader of reloaders) reloader.close();
    await handler?.close();
    await removeDir(scratch);
  });

  test('a changed file is applied once; written again unchanged, it is not read again', async () => {
    const reloader = watching(file);
    try {
      write({ ...started, defaultVisibility: 'public' });
      await within(5000, () => logged('config reloaded').length === 1, 'the reload');
      assert.equal(logged('config reloaded')[0].trigger, 'file changed');
      write({ ...started, defaultVisibility: 'public' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(logged('config reloaded').length, 1);
    } finally {
      reloader.close();
    }
  });

  test('a file that is removed or invalid is refused with one line naming the key; restart-only settings are reported', async () => {
    lines.length = 0;
    const reloader = watching(file);
    try {
      rmSync(file);
      await within(
        5000,
        () => logged('config not applied: the previous config stays in force').length === 1,
        'the refusal',
      );
      assert.match(
        String(logged('config not applied: the previous config stays in force')[0].error),
        /config\.json: ENOENT/,
      );
      write({ ...started, groups: [{ path: 'g', id: 0 }] });
      await within(
        5000,
        () => logged('config not applied: the previous config stays in force').length === 2,
        'the second refusal',
      );
      assert.equal(
        logged('config not applied: the previous config stays in force')[1].error,
        'config: groups[0].id: must be a positive integer',
      );
      write({ ...started, listen: '127.0.0.1:9090', maxGit: 2 });
      await within(5000, () => logged('config change needs a restart to apply').length === 1, 'the restart warning');
      assert.deepEqual(logged('config change needs a restart to apply')[0].settings, ['listen', 'maxGit']);
      assert.equal(logged('config reloaded').length, 1);
    } finally {
      reloader.close();
      write(started);
    }
  });

  test('SIGHUP reloads the file and rescans; without a config file it only rescans', async () => {
    lines.length = 0;
    const withFile = watching(file);
    process.kill(process.pid, 'SIGHUP');
    await within(
      5000,
      () => logged('rescanned repositories').length === 1 && logged('config reloaded').length === 1,
      'reload and rescan',
    );
    assert.equal(logged('config reloaded')[0].trigger, 'SIGHUP');
    withFile.close();

    lines.length = 0;
    let reads = 0;
    const withoutFile = watching(undefined, () => {
      reads++;
      return started;
    });
    process.kill(process.pid, 'SIGHUP');
    await within(5000, () => logged('rescanned repositories').length === 1, 'the rescan');
    assert.equal(reads, 0);
    assert.equal(logged('config reloaded').length, 0);
    withoutFile.close();
  });

  test('a config file whose directory cannot be watched is reported: SIGHUP still reloads it', async () => {
    lines.length = 0;
    const reloader = watching(join(scratch, 'no-such-dir', 'config.json'), () => started);
    assert.equal(logged('cannot watch the config file: reload with SIGHUP').length, 1);
    process.kill(process.pid, 'SIGHUP');
    await within(5000, () => logged('config reloaded').length === 1, 'the SIGHUP reload');
    reloader.close();
  });
});
