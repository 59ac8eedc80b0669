/**
 * The URL of a mirror's remote: which ones a mirror may be fetched from, the form two spellings of
 * one repository share (a push webhook names it as the host knows it), and the removal of secrets
 * from any text git or a host wrote about a fetch.
 *
 * Accepted: `https://`, `http://`, `git://`, `ssh://` and `file://` URLs, and git's scp-like SSH
 * form (`git@host:group/name.git`). Credentials never go into a URL (they would end up in logs, in
 * the process list and in the mirror's files): a URL with a password, or with a user name for a
 * transport whose user name is a credential (http, https), is refused, and the reason never
 * repeats the URL.
 */

/** Transports git may use for a mirror (`GIT_ALLOW_PROTOCOL`): nothing else, e.g. `ext::`, ever runs. */
export const ALLOWED_PROTOCOLS = 'https:http:git:ssh:file';

const SCHEMES = new Set(['https:', 'http:', 'git:', 'ssh:', 'file:']);

/** git's scp-like syntax: `[user@]host:path`, the colon before any slash. */
const SCP_LIKE = /^(?:([A-Za-z0-9._~-]+)@)?([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\]):(?!\/\/)(.+)$/;

/** Default ports the URL parser keeps for schemes it does not know. */
const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'git:': '9418', 'ssh:': '22' };

/** Why `url` cannot be a mirror's remote, or undefined when it can. Never quotes the URL. */
export function remoteUrlError(url: string): string | undefined {
  if ([...url].some((c) => c <= ' ' || c === '\x7f')) return 'must not contain spaces or control characters';
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(url)) return 'must be a URL, not a remote helper (transport::address)';
  const scp = SCP_LIKE.exec(url);
  if (scp !== null && !url.includes('://')) {
    return scp[3]!.startsWith('-') ? 'the path must not start with "-"' : undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an https://, http://, git://, ssh:// or file:// URL, or user@host:path';
  }
  if (!SCHEMES.has(parsed.protocol)) return 'must be an https://, http://, git://, ssh:// or file:// URL';
  if (parsed.password !== '' || (parsed.username !== '' && parsed.protocol !== 'ssh:')) {
    return 'must not contain credentials (user:password@): give them in "credentials"';
  }
  if (parsed.protocol === 'file:' ? parsed.host !== '' : parsed.hostname === '') {
    return parsed.protocol === 'file:' ? 'a file:// URL names a local path (file:///srv/git/…)' : 'must name a host';
  }
  if (parsed.hostname.startsWith('-')) return 'the host must not start with "-"';
  return undefined;
}

/**
 * One spelling for the URLs that name the same repository, for matching a webhook's URLs against
 * the configured ones: scheme, host (lower case, default port dropped) and path (lower case: the
 * hosts this serves treat repository paths case-insensitively), without the user name, a trailing
 * `/` or `.git`. The scp-like form is the `ssh://` URL it stands for. Undefined for what is no URL.
 */
export function remoteKey(url: string): string | undefined {
  const scp = url.includes('://') ? null : SCP_LIKE.exec(url);
  if (scp !== null) return key('ssh:', scp[2]!, `/${scp[3]!.replace(/^\/+/, '')}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (!SCHEMES.has(parsed.protocol)) return undefined;
  const port = parsed.port === '' || parsed.port === DEFAULT_PORTS[parsed.protocol] ? '' : `:${parsed.port}`;
  return key(parsed.protocol, `${parsed.hostname}${port}`, decodeURIComponent(parsed.pathname));
}

function key(scheme: string, host: string, path: string): string {
  return `${scheme}//${host.toLowerCase()}${path.replace(/\/+$/, '').replace(/\.git$/, '').toLowerCase()}`;
}

/**
 * `text` with every secret replaced by `***`, and the user information of any URL in it: for
 * messages that came from git or a remote and go to a log line, a state file or `check`.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let clean = text.replace(/(\/\/)[^/@\s]*@/g, '$1***@');
  for (const secret of secrets) {
    if (secret !== '') clean = clean.split(secret).join('***');
  }
  return clean;
}
