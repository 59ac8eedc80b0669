/**
 * A throw-away certificate authority and a server certificate for 127.0.0.1, made with `openssl`,
 * so that end-to-end tests can serve the proxy over HTTPS: the go command sends .netrc credentials
 * only to https URLs (Go 1.19 `cmd/go/internal/auth/auth.go`). The go client trusts the CA through `SSL_CERT_FILE`.
 * `startTlsFront` puts HTTPS in front of a plain-HTTP server (the command line serves HTTP only).
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** PEM files and contents of a test CA and the server certificate it signed. */
export interface TestCertificates {
  /** Path of the CA certificate (PEM): the value for the go client's `SSL_CERT_FILE`. */
  readonly caFile: string;
  /** The server's private key and certificate (PEM), for `https.createServer`. */
  readonly key: string;
  readonly cert: string;
}

const run = promisify(execFile);

/**
 * Writes `ca.pem`, `server.key` and `server.pem` into `dir` (which the caller removes); the server
 * certificate is for 127.0.0.1, localhost and the given extra host names.
 */
export async function makeTestCertificates(dir: string, names: readonly string[] = []): Promise<TestCertificates> {
  const file = (name: string) => join(dir, name);
  const openssl = (args: string[]) => run('openssl', args, { cwd: dir });
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=git-goproxy test CA',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
  ]);
  await openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  ]);
  await openssl([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    await writeExtensions(dir, names),
    '-out',
    file('server.pem'),
  ]);
  const [key, cert] = await Promise.all([readFile(file('server.key'), 'utf8'), readFile(file('server.pem'), 'utf8')]);
  return { caFile: file('ca.pem'), key, cert };
}

/** Go checks the subject alternative names, never the common name. */
async function writeExtensions(dir: string, names: readonly string[]): Promise<string> {
  const path = join(dir, 'server.ext');
  const alternatives = ['IP:127.0.0.1', 'DNS:localhost', ...names.map((name) => `DNS:${name}`)].join(', ');
  await writeFile(path, `subjectAltName = ${alternatives}\nextendedKeyUsage = serverAuth\n`);
  return path;
}

/** An HTTPS listener on 127.0.0.1 that passes every request on to `target` (`http://host:port`) as it is. */
export interface TlsFront {
  /** `https://127.0.0.1:PORT` */
  readonly url: string;
  close(): Promise<void>;
}

export async function startTlsFront(target: string, certificates: TestCertificates): Promise<TlsFront> {
  const server = createServer(certificates, (req, res) => {
    const forwarded = request(
      `${target}${req.url ?? '/'}`,
      { method: req.method, headers: req.headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
