/**
 * Real git remotes on loopback, for tests of what fetches from them, and the push webhooks git
 * hosts send about them.
 *
 * - `startGitDaemon(root)`: `git daemon` exporting every repository below `root` as
 *   `git://127.0.0.1:<port>/<path>.git` (`startGitDaemonOn` starts one on a given port again, after a
 *   test stopped it).
 * - `startSmartHttp(root, dir)`: git's smart HTTP protocol as a git host serves it, `git
 *   http-backend` behind nginx through `fcgiwrap`, at `http://127.0.0.1:<port>/git/<path>.git`,
 *   optionally behind Basic authentication; nginx's access log records each request's user.
 * - `sendWebhook(url, sender, …)`: a push webhook with the headers and signature of GitHub, Gitea,
 *   Forgejo or GitLab, over the raw body.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { within } from './wait.ts';

/** The loopback address every remote listens on. */
const LOOPBACK = '127.0.0.1';
const DAEMON_START_TIMEOUT_MS = 10_000;
const DAEMON_START_ATTEMPTS = 3;

/** nginx and fcgiwrap where Debian puts them; undefined when not installed (tests that need them skip). */
export const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'].find((path) =>
  spawnSync(path, ['-v']).status === 0
);
export const FCGIWRAP = ['/usr/sbin/fcgiwrap', '/usr/local/sbin/fcgiwrap'].find((path) => existsSync(path));

/** Why smart HTTP remotes cannot run here, or undefined when they can. */
export const SMART_HTTP_MISSING = NGINX === undefined || FCGIWRAP === undefined
  ? 'nginx and fcgiwrap are needed for a smart HTTP git remote (apt-get install nginx fcgiwrap)'
  : undefined;

/** A `git daemon` child exporting one directory. */
export interface GitDaemon {
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts git daemon on a free loopback port; retries when another process took the port first. */
export async function startGitDaemon(root: string): Promise<GitDaemon> {
  for (let attempt = 1;; attempt++) {
    const port = await freeLoopbackPort();
    try {
      return await startGitDaemonOn(root, port);
    } catch (error) {
      if (attempt >= DAEMON_START_ATTEMPTS) throw error;
    }
  }
}

/** Starts git daemon on `port` (rejects when it cannot listen there). */
export async function startGitDaemonOn(root: string, port: number): Promise<GitDaemon> {
  const args = [
    'daemon',
    '--verbose',
    '--reuseaddr',
    '--export-all',
    '--informative-errors',
    `--base-path=${root}`,
    `--listen=${LOOPBACK}`,
    `--port=${port}`,
    '--',
    root,
  ];
  // Own process group: stopping it also ends the upload-pack children serving open connections.
  const child = spawn('git', args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', GIT_CONFIG_NOSYSTEM: '1' },
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    await waitUntilListening(child);
  } catch (error) {
    await stopProcessGroup(child, exited);
    throw error;
  }
  return { port, stop: () => stopProcessGroup(child, exited) };
}

/**
 * Resolves once git daemon has bound its socket: with --verbose it logs "Ready to rumble" right
 * after listening (git daemon.c `serve`). Rejects with its stderr if it exits or takes too long.
 */
function waitUntilListening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(
      () => reject(new Error(`git daemon not listening after ${DAEMON_START_TIMEOUT_MS} ms: ${stderr.trim()}`)),
      DAEMON_START_TIMEOUT_MS,
    );
    child.stderr!.on('data', (chunk: Buffer) => {
      // Keep reading (and dropping) the per-connection log so the pipe never fills up.
      if (stderr.includes('Ready to rumble')) return;
      stderr += chunk.toString('utf8');
      if (stderr.includes('Ready to rumble')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`git daemon exited with ${code}: ${stderr.trim()}`));
    });
  });
}

async function stopProcessGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  await exited;
}

/** A port nobody listens on right now (the OS picks it; it is released before returning). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A smart HTTP remote: nginx in front of `git http-backend`. */
export interface SmartHttpRemote {
  readonly port: number;
  /** `http://127.0.0.1:<port>/git/<fullPath>.git` */
  url(fullPath: string): string;
  /** nginx's access log so far: one `<user> "<request line>" <status>` line per request. */
  accessLog(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Serves the repositories below `root` over smart HTTP, with nginx and fcgiwrap keeping their files
 * in `dir`. With `users` (name → password), every request needs Basic authentication.
 */
export async function startSmartHttp(
  root: string,
  dir: string,
  users?: Readonly<Record<string, string>>,
): Promise<SmartHttpRemote> {
  await mkdir(join(dir, 'tmp'), { recursive: true });
  const socket = join(dir, 'fcgiwrap.sock');
  const fcgiwrap = spawn(FCGIWRAP!, ['-s', `unix:${socket}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  const fcgiwrapExit = new Promise<void>((resolve) => fcgiwrap.once('close', () => resolve()));
  await within(10_000, () => existsSync(socket), 'fcgiwrap listening');
  if (users !== undefined) {
    await writeFile(
      join(dir, 'htpasswd'),
      Object.entries(users).map(([user, pass]) => `${user}:{PLAIN}${pass}\n`).join(''),
    );
  }
  const port = await freeLoopbackPort();
  await writeFile(join(dir, 'nginx.conf'), smartHttpConfig(root, dir, port, socket, users !== undefined));
  const nginx = spawn(NGINX!, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const nginxExit = new Promise<void>((resolve) => nginx.once('close', () => resolve()));
  const stop = async () => {
    await stopProcessGroup(fcgiwrap, fcgiwrapExit);
    if (nginx.exitCode === null && nginx.signalCode === null) nginx.kill('SIGTERM');
    await nginxExit;
  };
  try {
    await acceptsConnections(port);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    url: (fullPath) => `http://${LOOPBACK}:${port}/git/${fullPath}.git`,
    accessLog: () => readFile(join(dir, 'access.log'), 'utf8').catch(() => ''),
    stop,
  };
}

function smartHttpConfig(root: string, dir: string, port: number, socket: string, authenticate: boolean): string {
  const backend = join(execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim(), 'git-http-backend');
  return nginxConfigFile(
    dir,
    `
  log_format git '$remote_user "$request" $status';
  access_log ${dir}/access.log git;
  server {
    listen ${LOOPBACK}:${port};
    location ~ ^/git(/.*)$ {
      ${authenticate ? `auth_basic "git"; auth_basic_user_file ${dir}/htpasswd;` : ''}
      client_max_body_size 0;
      fastcgi_pass unix:${socket};
      fastcgi_param SCRIPT_FILENAME ${backend};
      fastcgi_param GIT_PROJECT_ROOT ${root};
      fastcgi_param GIT_HTTP_EXPORT_ALL "";
      fastcgi_param PATH_INFO $1;
      fastcgi_param QUERY_STRING $query_string;
      fastcgi_param REQUEST_METHOD $request_method;
      fastcgi_param CONTENT_TYPE $content_type;
      fastcgi_param CONTENT_LENGTH $content_length;
      fastcgi_param REMOTE_USER $remote_user;
      fastcgi_param REMOTE_ADDR $remote_addr;
      fastcgi_param GIT_PROTOCOL $http_git_protocol;
    }
  }`,
  );
}

/**
 * An nginx config for a test: one process in the foreground, every file it writes (pid, logs,
 * temporary bodies) inside `dir`, and `http` as the inside of its `http` block.
 */
export function nginxConfigFile(dir: string, http: string): string {
  return `
master_process off;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
${http}
}
`;
}

/** Resolves once something accepts TCP connections on the loopback port (nginx binds a moment after it starts). */
async function acceptsConnections(port: number): Promise<void> {
  let accepted = false;
  const attempt = () =>
    new Promise<void>((resolve) => {
      const socket = connect(port, LOOPBACK);
      socket.once('connect', () => {
        accepted = true;
        socket.destroy();
        resolve();
      });
      socket.once('error', () => resolve());
    });
  await within(10_000, () => {
    if (!accepted) void attempt();
    return accepted;
  }, `nginx listening on ${port}`);
}

/** Which host a webhook comes from: its headers and how it signs. */
export type WebhookSender = 'github' | 'gitea' | 'forgejo' | 'gitlab';

/**
 * POSTs `payload` to `url` as `sender` sends a push event, signed with `secret` (GitHub, Gitea and
 * Forgejo: HMAC-SHA256 of the raw body; GitLab: the secret itself as a token).
 */
export async function sendWebhook(
  url: string,
  sender: WebhookSender,
  secret: string,
  payload: unknown,
): Promise<{ status: number; body: string }> {
  const body = JSON.stringify(payload);
  const hmac = createHmac('sha256', secret).update(body).digest('hex');
  const headers: Record<string, string> = {
    github: { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': `sha256=${hmac}` },
    gitea: { 'X-Gitea-Event': 'push', 'X-Gitea-Signature': hmac },
    forgejo: { 'X-Forgejo-Event': 'push', 'X-Forgejo-Signature': hmac },
    gitlab: { 'X-Gitlab-Event': 'Tag Push Hook', 'X-Gitlab-Token': secret },
  }[sender];
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, body: await response.text() };
}

/** The payload of a push to the repository at `cloneUrl`, as `sender` shapes it (only the fields that name the repository). */
export function pushPayload(sender: WebhookSender, cloneUrl: string, ref: string): unknown {
  return sender === 'gitlab'
    ? {
      object_kind: 'tag_push',
      ref,
      project: { git_http_url: cloneUrl, git_ssh_url: 'git@elsewhere.example:x/y.git' },
    }
    : { ref, repository: { clone_url: cloneUrl, ssh_url: 'git@elsewhere.example:x/y.git' } };
}
