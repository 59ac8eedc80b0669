/**
 * The direct-mode oracle: lets the real go command fetch the bare repositories under a directory
 * straight from git (GOPROXY=direct), so end-to-end tests can compare what it gets with what it gets
 * through our proxy.
 *
 * Two servers on loopback make module paths `127.0.0.1/<fullPath>` resolvable without network:
 * - a `git daemon` per oracle, exporting `<reposRoot>/<fullPath>.git` as
 *   `git://127.0.0.1:<port>/<fullPath>.git`;
 * - the go-get meta server on 127.0.0.1:80 (the go command asks port 80 when the host is in
 *   GOINSECURE), answering `GET /<path>?go-get=1` with a go-import tag for the longest `<fullPath>`
 *   prefix of `<path>` that is a repository, 404 otherwise. Port 80 can be held by one process only,
 *   so the meta server is a per-process singleton: it answers for the most recently started oracle
 *   that is still open (starting another one re-points it), and closes with the last one.
 * Use it with go-client.ts in mode `{ direct: true }`.
 */
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { DIRECT_HOST, type GoMode } from './go-client.ts';
import { type GitDaemon, startGitDaemon } from './git-remotes.ts';

/** The port the go command sends go-get lookups to for a GOINSECURE host. */
export const META_PORT = 80;

/** A running oracle for one directory of bare repositories. */
export interface DirectOracle {
  /** The directory whose `<fullPath>.git` repositories are served (real path). */
  readonly reposRoot: string;
  /** Port of this oracle's git daemon on 127.0.0.1. */
  readonly gitPort: number;
  /** The go-client mode that fetches through this oracle. */
  readonly mode: GoMode;
  /** The module path of the repository `<reposRoot>/<fullPath>.git` (`127.0.0.1/<fullPath>`). */
  modulePath(fullPath: string): string;
  /** Stops the git daemon and, if no other oracle is open, the meta server. */
  close(): Promise<void>;
}

/** Where go-get lookups are sent: a repositories directory and the daemon that exports it. */
interface MetaTarget {
  readonly reposRoot: string;
  readonly gitPort: number;
}

/** Open oracles, oldest first; the meta server answers for the last one. */
const openTargets: MetaTarget[] = [];
let metaServer: Promise<Server> | undefined;
/** Settles when the last closed meta server has released port 80. */
let metaServerClosing: Promise<void> | undefined;

/**
 * Starts a git daemon for `reposRoot` and points the go-get meta server on 127.0.0.1:80 at it
 * (starting that server if needed). Fails with a clear message when port 80 is taken or not allowed.
 */
export async function startDirectOracle(reposRoot: string): Promise<DirectOracle> {
  const root = await realpath(reposRoot);
  await acquireMetaServer();
  let daemon: GitDaemon;
  try {
    daemon = await startGitDaemon(root);
  } catch (error) {
    await releaseMetaServer();
    throw error;
  }
  const target: MetaTarget = { reposRoot: root, gitPort: daemon.port };
  openTargets.push(target);
  return {
    reposRoot: root,
    gitPort: daemon.port,
    mode: { direct: true },
    modulePath: (fullPath) => `${DIRECT_HOST}/${fullPath}`,
    close: async () => {
      const index = openTargets.indexOf(target);
      if (index < 0) return;
      openTargets.splice(index, 1);
      await Promise.all([daemon.stop(), releaseMetaServer()]);
    },
  };
}

async function acquireMetaServer(): Promise<void> {
  await metaServerClosing;
  metaServer ??= listenMetaServer();
  try {
    await metaServer;
  } catch (error) {
    metaServer = undefined;
    throw error;
  }
}

/** Closes the meta server once no oracle is open any more. */
async function releaseMetaServer(): Promise<void> {
  if (openTargets.length > 0 || metaServer === undefined) return;
  const listening = metaServer;
  metaServer = undefined;
  metaServerClosing = listening.then(
    (server) =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  await metaServerClosing;
}

function listenMetaServer(): Promise<Server> {
  const server = createServer((request, response) => {
    answerGoGet(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(
        `oracle meta server: ${String(error)}\n`,
      );
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(metaListenError(error)));
    server.listen(META_PORT, DIRECT_HOST, () => resolve(server));
  });
}

function metaListenError(error: NodeJS.ErrnoException): Error {
  if (error.code === 'EADDRINUSE') {
    return new Error(
      `direct-mode oracle: ${DIRECT_HOST}:${META_PORT} is already in use by another process; ` +
        'only one test process at a time can run direct-mode tests (run e2e test files with --test-concurrency=1)',
    );
  }
  if (error.code === 'EACCES') {
    return new Error(
      `direct-mode oracle: not allowed to listen on ${DIRECT_HOST}:${META_PORT} (needs root or CAP_NET_BIND_SERVICE)`,
    );
  }
  return error;
}

/** Answers a go-get lookup with the go-import tag of the repository that holds the path, or 404. */
async function answerGoGet(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', `http://${DIRECT_HOST}`);
  const target = openTargets.at(-1);
  const fullPath = request.method === 'GET' && url.searchParams.get('go-get') === '1' && target !== undefined
    ? await findRepository(target.reposRoot, url.pathname)
    : undefined;
  if (fullPath === undefined || target === undefined) {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`no repository for ${url.pathname}\n`);
    return;
  }
  const content = `${DIRECT_HOST}/${fullPath} git git://${DIRECT_HOST}:${target.gitPort}/${fullPath}.git`;
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
