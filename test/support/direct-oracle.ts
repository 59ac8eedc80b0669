/**
 * The direct-mode oracle: lets the real go command fetch the bare repositories under a directory
 * straight from git (GOPROXY=direct), so that the oracle's tests (test/oracle) can record what it
 * gets (answer-tables.ts).
 *
 * Module paths are `direct.test/<fullPath>`. Two servers on loopback, on ports the OS picks, make
 * them resolvable without network and without privileges:
 * - a `git daemon` exporting `<reposRoot>/<fullPath>.git` as `git://127.0.0.1:<port>/<fullPath>.git`;
 * - a host proxy for `direct.test` (host-proxy.ts) that answers `GET http://direct.test/<path>?go-get=1`
 *   with a go-import tag for the longest `<fullPath>` prefix of `<path>` that is a repository (404
 *   otherwise) and refuses https, so that the go command falls back to http, which GOINSECURE
 *   allows (cmd/go/internal/web/http.go `get`).
 * Each oracle has servers of its own: oracles in several test files, or in two test runs at once,
 * never meet. Use it with go-client.ts in the oracle's `mode`.
 */
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { startGitDaemon } from './git-remotes.ts';
import { DIRECT_HOST, type GoMode } from './go-client.ts';
import { type HostProxy, startHostProxy } from './host-proxy.ts';

/** A running oracle for one directory of bare repositories. */
export interface DirectOracle {
  /** The directory whose `<fullPath>.git` repositories are served (real path). */
  readonly reposRoot: string;
  /** Port of this oracle's git daemon on 127.0.0.1. */
  readonly gitPort: number;
  /** The host proxy that answers go-get lookups for `direct.test`. */
  readonly meta: HostProxy;
  /** The go-client mode that fetches through this oracle. */
  readonly mode: GoMode;
  /** The module path of the repository `<reposRoot>/<fullPath>.git` (`direct.test/<fullPath>`). */
  modulePath(fullPath: string): string;
  /** Stops the git daemon and the host proxy. */
  close(): Promise<void>;
}

/** Starts a git daemon for `reposRoot` and a go-get host proxy that points at it. */
export async function startDirectOracle(reposRoot: string): Promise<DirectOracle> {
  const root = await realpath(reposRoot);
  const daemon = await startGitDaemon(root);
  let meta: HostProxy;
  try {
    meta = await startHostProxy({
      host: DIRECT_HOST,
      http: (request, response) => {
        answerGoGet(root, daemon.port, request, response).catch((error: unknown) => {
          response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(
            `oracle meta server: ${String(error)}\n`,
          );
        });
      },
    });
  } catch (error) {
    await daemon.stop();
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    reposRoot: root,
    gitPort: daemon.port,
    meta,
    mode: { direct: meta.env },
    modulePath: (fullPath) => `${DIRECT_HOST}/${fullPath}`,
    close: () => closed ??= Promise.all([daemon.stop(), meta.close()]).then(() => undefined),
  };
}

/**
 * Answers a go-get lookup for `http://direct.test/<path>?go-get=1` with the go-import tag of the repository that holds the path, or 404.
 */
async function answerGoGet(
  root: string,
  gitPort: number,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', `http://${DIRECT_HOST}`);
  const fullPath = request.method === 'GET' && url.searchParams.get('go-get') === '1'
    ? await findRepository(root, url.pathname)
    : undefined;
  if (fullPath === undefined) {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`no repository for ${url.href}\n`);
    return;
  }
  const content = `${DIRECT_HOST}/${fullPath} git git://127.0.0.1:${gitPort}/${fullPath}.git`;
  const html = `<!DOCTYPE html>\n<html><head><meta name="go-import" content="${
    escapeAttribute(content)
  }"></head><body></body></html>\n`;
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(html);
}

/** The longest prefix `p` of the URL path such that `<root>/<p>.git` is a bare repository. */
async function findRepository(root: string, pathname: string): Promise<string | undefined> {
  const segments = decodePath(pathname);
  if (segments === undefined) return undefined;
  for (let length = segments.length; length > 0; length--) {
    const candidate = segments.slice(0, length).join('/');
    if (await isBareRepository(join(root, `${candidate}.git`))) return candidate;
  }
  return undefined;
}

/** Path segments of `/a/b/c`; undefined for bad escapes and for empty, `.` or `..` segments. */
function decodePath(pathname: string): string[] | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const segments = decoded.replace(/^\//, '').split('/');
  return segments.some((s) => s === '' || s === '.' || s === '..') ? undefined : segments;
}

async function isBareRepository(dir: string): Promise<boolean> {
  try {
    const [head, objects] = await Promise.all([stat(join(dir, 'HEAD')), stat(join(dir, 'objects'))]);
    return head.isFile() && objects.isDirectory();
  } catch {
    return false;
  }
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
