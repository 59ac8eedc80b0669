/**
 * The operations building blocks on their own: JSON log lines and levels, Prometheus rendering,
 * If-None-Match and Accept-Encoding parsing, ETags, base-path matching.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { basePathError, stripBasePath } from '../../lib/http/base-path.ts';
import { runGit } from '../../lib/git/run.ts';
import { HelperPool } from '../../lib/git/helper-pool.ts';
import { Limiter } from '../../lib/git/limiter.ts';
import { acceptsGzip, cacheControl, matchesIfNoneMatch, versionETag } from '../../lib/http/cache.ts';
import { Logger } from '../../lib/common/log.ts';
import { RequestMetrics } from '../../lib/http/metrics.ts';
import { MetricsRegistry } from '../../lib/common/metrics.ts';
import { observeGitChildren } from '../../lib/git/children.ts';
import { ModuleService } from '../../lib/access/module-service.ts';
import { resolveOptions } from '../../lib/cli/config.ts';
import { withTempDir } from '../support/temp.ts';
import { join } from 'node:path';
import type { ModuleVersion } from '../../lib/modules/module-repo.ts';
import type { ServedVersion } from '../../lib/access/service.ts';
import { infoJson } from '../../lib/http/info.ts';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('Logger', () => {
  test('one JSON line per call, at or above its level, undefined fields left out, errors as stacks', () => {
    const lines: string[] = [];
    const logger = new Logger({ level: 'warn', write: (line) => lines.push(line) });
    logger.info('dropped');
    logger.warn('kept', { project: 'a/b', token: undefined });
    logger.error('failed', { error: new Error('boom') });
    assert.equal(lines.length, 2);
    assert.ok(lines.every((line) => line.endsWith('}\n') && !line.slice(0, -1).includes('\n')));
    const warn = JSON.parse(lines[0]);
    assert.deepEqual(Object.keys(warn), ['time', 'level', 'msg', 'project']);
    assert.equal(warn.level, 'warn');
    assert.match(JSON.parse(lines[1]).error, /^Error: boom\n/);
  });

  test('fields cannot overwrite time, level or msg; silent writes nothing; unknown levels are refused', () => {
    const lines: string[] = [];
    const logger = new Logger({ write: (line) => lines.push(line) });
    logger.access({ method: 'GET', path: '/x', status: 200, bytes: 3, ms: 1 });
    assert.equal(JSON.parse(lines[0]).msg, 'request');
    logger.info('hi', { msg: 'forged', level: 'error' });
    assert.deepEqual([JSON.parse(lines[1]).msg, JSON.parse(lines[1]).level], ['hi', 'info']);
    logger.level = 'silent';
    logger.error('nothing');
    assert.equal(lines.length, 2);
    assert.throws(() => (logger.level = 'loud' as 'info'), /unknown log level/);
  });
});

describe('Metrics', () => {
  test('counters, cumulative histogram buckets, git durations by subcommand, limiter gauges', async () => {
    const limiter = new Limiter({ concurrency: 2 });
    const registry = new MetricsRegistry();
    const metrics = new RequestMetrics(registry);
    limiter.registerMetrics(registry);
    new HelperPool(7).registerMetrics(registry);
    const stop = observeGitChildren(registry);
    try {
      metrics.observeRequest({ endpoint: 'zip', status: 200, bytes: 1000, seconds: 0.003 });
      metrics.observeRequest({ endpoint: 'zip', status: 200, bytes: 500, seconds: 0.2 });
      metrics.observeRequest({ endpoint: 'info', status: 304, bytes: 0, seconds: 0.0001 });
      await runGit('/nonexistent-but-irrelevant', ['version']);
      const release = await limiter.acquire();
      const text = registry.render();
      release();
      assert.match(text, /^git_goproxy_requests_total\{endpoint="zip",status="200"\} 2$/m);
      assert.match(text, /^git_goproxy_response_bytes_total\{endpoint="zip"\} 1500$/m);
      assert.match(text, /^git_goproxy_cache_hits_total\{endpoint="info"\} 1$/m);
      assert.match(text, /^git_goproxy_request_duration_seconds_bucket\{endpoint="zip",le="0.001"\} 0$/m);
      assert.match(text, /^git_goproxy_request_duration_seconds_bucket\{endpoint="zip",le="0.005"\} 1$/m);
      assert.match(text, /^git_goproxy_request_duration_seconds_bucket\{endpoint="zip",le="0.25"\} 2$/m);
      assert.match(text, /^git_goproxy_request_duration_seconds_bucket\{endpoint="zip",le="\+Inf"\} 2$/m);
      assert.match(text, /^git_goproxy_request_duration_seconds_sum\{endpoint="zip"\} 0.203$/m);
      assert.match(text, /^git_goproxy_git_duration_seconds_count\{command="version"\} 1$/m);
      assert.match(text, /^git_goproxy_git_running 1$/m);
      assert.match(text, /^git_goproxy_git_queued 0$/m);
      assert.match(text, /^git_goproxy_object_readers 0$/m);
      assert.match(text, /^git_goproxy_object_readers_max 7$/m);
      assert.match(text, /^git_goproxy_object_readers_waiting 0$/m);
      assert.match(text, /^git_goproxy_object_reader_evictions_total 0$/m);
    } finally {
      stop();
    }
  });

  test('the module service registers the series of its parts: pins, projects, git, object readers, spool', async () => {
    await withTempDir('metrics', async (dir) => {
      const service = new ModuleService(resolveOptions({ repos: join(dir, 'repos'), dataDir: join(dir, 'data') }));
      const registry = new MetricsRegistry();
      service.registerMetrics(registry);
      try {
        await service.projects.ready;
        const text = registry.render();
        assert.match(
          text,
          /^# TYPE git_goproxy_pin_tag_mismatches_total counter\ngit_goproxy_pin_tag_mismatches_total 0$/m,
        );
        assert.match(text, /^git_goproxy_projects 0$/m);
        assert.match(text, /^# TYPE git_goproxy_project_scans_total counter\ngit_goproxy_project_scans_total 1$/m);
        assert.match(text, /^git_goproxy_project_scan_seconds [0-9.e-]+$/m);
        assert.match(
          text,
          /^# TYPE git_goproxy_new_pins_refused_total counter\ngit_goproxy_new_pins_refused_total 0$/m,
        );
        assert.match(text, /^git_goproxy_git_slots [1-9][0-9]*$/m);
        assert.match(text, /^git_goproxy_git_processes [0-9]+$/m);
        assert.match(text, /^git_goproxy_object_readers_max 32$/m);
        assert.match(text, /^git_goproxy_zip_spool_files 0$/m);
        assert.doesNotMatch(text, /pin_store_up/, 'the pins file is always at hand');
      } finally {
        await service.close();
      }
    });
  });

  test('after close() git children are no longer observed', async () => {
    await withTempDir('metrics', async (dir) => {
      const service = new ModuleService(resolveOptions({ repos: join(dir, 'repos'), dataDir: join(dir, 'data') }));
      const registry = new MetricsRegistry();
      service.registerMetrics(registry);
      await service.close();
      await runGit('/nonexistent-but-irrelevant', ['version']);
      assert.doesNotMatch(registry.render(), /command="version"/);
    });
  });
});

describe('HTTP caching rules', () => {
  test('If-None-Match: lists, weak comparison, *, no header', () => {
    assert.equal(matchesIfNoneMatch(request({ 'if-none-match': '"a", W/"b"' }), '"b"'), true);
    assert.equal(matchesIfNoneMatch(request({ 'if-none-match': '"b"' }), 'W/"b"'), true);
    assert.equal(matchesIfNoneMatch(request({ 'if-none-match': '*' }), '"x"'), true);
    assert.equal(matchesIfNoneMatch(request({ 'if-none-match': '"ab"' }), '"a"'), false);
    assert.equal(matchesIfNoneMatch(request({}), '"a"'), false);
  });

  test('Accept-Encoding: gzip, x-gzip, q=0 refusals, * fallback', () => {
    assert.equal(acceptsGzip(request({ 'accept-encoding': 'gzip' })), true);
    assert.equal(acceptsGzip(request({ 'accept-encoding': 'deflate, X-GZIP;q=0.1' })), true);
    assert.equal(acceptsGzip(request({ 'accept-encoding': 'gzip;q=0' })), false);
    assert.equal(acceptsGzip(request({ 'accept-encoding': 'br, *;q=0.5' })), true);
    assert.equal(acceptsGzip(request({ 'accept-encoding': 'br' })), false);
    assert.equal(acceptsGzip(request({})), false);
  });

  test('ETags change with commit, version, kind and compression; zip tags are weak', () => {
    const version = { modulePath: 'go.test/a', version: 'v1.0.0', commit: 'c'.repeat(40) } as ModuleVersion;
    const info = versionETag('info', version, 'default');
    assert.match(info, /^"[A-Za-z0-9_-]{27}"$/);
    assert.notEqual(versionETag('mod', version, 'default'), info);
    assert.notEqual(versionETag('info', { ...version, commit: 'd'.repeat(40) }, 'default'), info);
    assert.notEqual(versionETag('info', { ...version, version: 'v1.0.1' }, 'default'), info);
    assert.equal(versionETag('info', version, 'store'), info, 'compression only matters to the zip');
    assert.match(versionETag('zip', version, 'default'), /^W\/"/);
    assert.notEqual(versionETag('zip', version, 'store'), versionETag('zip', version, 'default'));
  });

  test('a version whose source knows no commit: .info without Origin, ETags from its module path and version', () => {
    const time = new Date('2024-01-02T03:04:05.678Z');
    const version: ServedVersion = {
      modulePath: 'go.test/a',
      version: 'v1.0.0',
      time,
      goMod: new Uint8Array(),
      commit: undefined,
      tag: undefined,
    };
    assert.deepEqual(infoJson(version), { Version: 'v1.0.0', Time: '2024-01-02T03:04:05Z' });
    assert.deepEqual(infoJson({ ...version, commit: 'c'.repeat(40), tag: 'v1.0.0' }).Origin, {
      VCS: 'git',
      Hash: 'c'.repeat(40),
      Ref: 'refs/tags/v1.0.0',
    });
    const info = versionETag('info', version, 'default');
    assert.match(info, /^"[A-Za-z0-9_-]{27}"$/);
    assert.notEqual(versionETag('info', { ...version, version: 'v1.0.1' }, 'default'), info);
    assert.notEqual(versionETag('info', { ...version, commit: 'c'.repeat(40) }, 'default'), info);
  });

  test('Cache-Control', () => {
    assert.equal(cacheControl({ immutable: true, shared: true }), 'public, max-age=31536000, s-maxage=300, immutable');
    assert.equal(cacheControl({ immutable: false, shared: false }), 'private, max-age=60');
  });
});

describe('base path', () => {
  test('matching whole elements only', () => {
    assert.equal(stripBasePath('/goproxy/a/@v/list', '/goproxy'), '/a/@v/list');
    assert.equal(stripBasePath('/goproxy', '/goproxy'), '/');
    assert.equal(stripBasePath('/goproxyx/a', '/goproxy'), undefined);
    assert.equal(stripBasePath('/other', '/goproxy'), undefined);
    assert.equal(stripBasePath('/a', ''), '/a');
  });

  test('validation', () => {
    assert.equal(basePathError('/go/proxy'), undefined);
    for (const bad of ['goproxy', '/', '/goproxy/', '/a//b', '/a/../b', '/./a', '/a?b', '/a#b', '/a b']) {
      assert.notEqual(basePathError(bad), undefined, bad);
    }
  });
});
