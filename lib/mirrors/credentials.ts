/**
 * A remote's credentials, from the config to the environment of one fetch.
 *
 * A mirror's own `credentials` win; else the shared entry whose `urlPrefix` is the longest prefix of
 * its URL. A user name and password (or a file holding the password, read at each fetch so that a
 * rotated secret needs no reload) reach git through `askpass.sh` (GIT_ASKPASS) and two variables of
 * that one git process; an SSH key file through `GIT_SSH_COMMAND`. Nothing secret is ever written to
 * a file, put on a command line or kept in the mirror's git config, and git is told never to prompt
 * (an SSH host key it does not know fails the fetch; put it in `~/.ssh/known_hosts`).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ALLOWED_PROTOCOLS } from './remote-url.ts';

/** How to authenticate to a remote: a password (or a file holding it) with a user name, or an SSH key. */
export interface RemoteCredentials {
  readonly username?: string;
  readonly password?: string;
  /** A file holding the password (its last line break is dropped). */
  readonly passwordFile?: string;
  /** A private key for `ssh://` and `user@host:path` remotes. */
  readonly sshKeyFile?: string;
}

/** Credentials for every remote whose URL starts with `urlPrefix`. */
export interface SharedCredentials extends RemoteCredentials {
  readonly urlPrefix: string;
}

/** What a fetch's git processes get: variables for their environment, and the secrets to remove from what they say. */
export interface FetchAuth {
  readonly env: Readonly<Record<string, string>>;
  readonly secrets: readonly string[];
}

const ASKPASS = fileURLToPath(new URL('./askpass.sh', import.meta.url));

/** The credentials of a remote: its own, else the shared entry with the longest matching `urlPrefix`. */
export function credentialsFor(
  url: string,
  own: RemoteCredentials | undefined,
  shared: readonly SharedCredentials[],
): RemoteCredentials | undefined {
  if (own !== undefined) return own;
  let best: SharedCredentials | undefined;
  for (const entry of shared) {
    if (url.startsWith(entry.urlPrefix) && entry.urlPrefix.length > (best?.urlPrefix.length ?? -1)) best = entry;
  }
  return best;
}

/** The environment of a fetch with `credentials`; rejects when a password file cannot be read (saying why, not what it holds). */
export async function fetchAuth(credentials: RemoteCredentials | undefined): Promise<FetchAuth> {
  const env: Record<string, string> = {
    GIT_ALLOW_PROTOCOL: ALLOWED_PROTOCOLS,
    GIT_SSH_COMMAND: sshCommand(credentials?.sshKeyFile),
  };
  const password = await passwordOf(credentials);
  if (password === undefined) return { env, secrets: [] };
  return {
    env: {
      ...env,
      GIT_ASKPASS: ASKPASS,
      GIT_GOPROXY_REMOTE_USERNAME: credentials?.username ?? '',
      GIT_GOPROXY_REMOTE_PASSWORD: password,
    },
    secrets: [password],
  };
}

async function passwordOf(credentials: RemoteCredentials | undefined): Promise<string | undefined> {
  if (credentials?.passwordFile === undefined) return credentials?.password;
  try {
    return (await readFile(credentials.passwordFile, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new Error(`cannot read the passwordFile: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** ssh that never prompts (BatchMode), with only the given key when there is one. */
function sshCommand(keyFile: string | undefined): string {
  const key = keyFile === undefined ? '' : ` -i ${shellQuote(keyFile)} -o IdentitiesOnly=yes`;
  return `ssh -o BatchMode=yes${key}`;
}

/** `GIT_SSH_COMMAND` is read by a shell: a path goes in single quotes. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
