/**
 * The go command settings that work with this server as it is configured, for the home page and
 * the start-up lines: what a user copies must work for public modules too.
 *
 * - With upstream proxies, this server answers for every module (and for Go toolchains), so
 *   `GOPROXY` is this server alone. The checksum database is reached through it when it proxies
 *   `sum.golang.org` (the go command's default `GOSUMDB`: no setting needed) or another database
 *   (`GOSUMDB=<name>+<key>`, the key as the database publishes it).
 * - Without, it answers for its own modules only: `GOPROXY=<this server>,https://proxy.golang.org,direct`,
 *   so that a public module's 404 here sends the go command on to the public proxy.
 * - Either way `GONOSUMDB` names the module paths no public checksum database knows: the module
 *   host, the hosts of vanity module paths, and the `private` globs.
 */

/** How this server is set up, as far as the settings depend on it. */
export interface ProxySetup {
  /** Whether modules no project owns are answered from upstream proxies. */
  readonly upstream: boolean;
  /** The checksum databases proxied at `/sumdb/<name>/`. */
  readonly sumdbs: readonly string[];
  /** The config's `private` globs (GOPRIVATE syntax), or `''`. */
  readonly private: string;
}

/** What the settings depend on. */
export interface GoEnvFacts {
  /** This server's GOPROXY URL as the client reaches it (`https://host[:port][basePath]`). */
  readonly proxyUrl: string;
  /** Whether modules no project owns are answered from upstream proxies. */
  readonly upstream: boolean;
  /** The checksum databases proxied at `/sumdb/<name>/`. */
  readonly sumdbs: readonly string[];
  /** Module host, vanity hosts and private globs: what the checksum database must not be asked about. */
  readonly noSumDb: readonly string[];
}

/** The public proxy the go command falls back to by default. */
const PUBLIC_PROXY = 'https://proxy.golang.org';
/** The go command's default checksum database, whose key it knows. */
const DEFAULT_SUMDB = 'sum.golang.org';

/** The settings as `NAME=value` pairs, in the order to set them. */
export function goEnv(facts: GoEnvFacts): Array<{ readonly name: string; readonly value: string }> {
  const settings = [{
    name: 'GOPROXY',
    value: facts.upstream ? facts.proxyUrl : `${facts.proxyUrl},${PUBLIC_PROXY},direct`,
  }];
  if (facts.noSumDb.length > 0) settings.push({ name: 'GONOSUMDB', value: facts.noSumDb.join(',') });
  const sumdb = facts.sumdbs[0];
  if (facts.upstream && sumdb !== undefined && !facts.sumdbs.includes(DEFAULT_SUMDB)) {
    settings.push({ name: 'GOSUMDB', value: `${sumdb}+<its verifier key>` });
  }
  return settings;
}

/** The GONOSUMDB entries: the module host first, then other hosts and the private globs, once each. */
export function noSumDbOf(moduleHost: string, otherHosts: readonly string[], privatePatterns: string): string[] {
  const entries = [moduleHost, ...otherHosts, ...privatePatterns.split(',')].filter((entry) => entry !== '');
  return [...new Set(entries)];
}
