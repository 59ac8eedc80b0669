/**
 * Where a request comes from: the client's address, and whether it is `local` (a client on this
 * machine, which may read `local` projects).
 *
 * Without a declared reverse proxy the client is the socket's peer, and a request is local when
 * that peer is on loopback, its `Host` names this machine (an IP on loopback, `localhost` or a name
 * below `.localhost`), and it carries no sign of a forwarding proxy: a header a proxy or CDN adds to
 * name the client, the original request or itself (`FORWARDING_HEADER`). That list is a safety net,
 * and a net has holes: a proxy on this machine that adds none of them would make every request
 * look local.
 *
 * So an operator with a reverse proxy declares it (`trustedProxies`: its addresses or CIDR ranges).
 * Then the rule is safe by construction, whatever the proxy adds or forgets: no request is local
 * unless it comes from a trusted proxy that names, in `X-Forwarded-For`, a client on loopback. The
 * client is the rightmost address of `X-Forwarded-For` that is not a trusted proxy (what the proxy
 * itself saw; whatever the client wrote into the header is to its left), and only a trusted proxy's
 * header is believed: a request from anywhere else is its peer, and with proxies declared it is
 * never local.
 */
import { BlockList, isIP, isIPv4 } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

/** What `clientOf` needs of a request. */
export interface ClientRequest {
  readonly headers: IncomingHttpHeaders;
  /** The socket's peer address. */
  readonly remoteAddress: string | undefined;
}

/** The client of a request. */
export interface Client {
  /** The client's address: the peer's, or the one a trusted proxy names. */
  readonly address: string;
  /** A client on this machine that reached the server directly, or through a trusted proxy from loopback. */
  readonly local: boolean;
  /** Who per-client bounds count the client as, without a token: `addressKey(address)`. */
  readonly addressKey: string;
}

/**
 * Header names a forwarding proxy, load balancer or CDN adds: RFC 7239 `Forwarded`, RFC 9110 `Via`,
 * `CDN-Loop` (RFC 8586), `Forwarded-For`; every `X-Forwarded*`, `X-Original-*` (nginx, Traefik,
 * ingress controllers) and `X-Envoy-*`; the CDNs' own (`CF-*`, `Fastly-*`, `Akamai-*`,
 * `CloudFront-*`, `X-Amz-Cf-*`, `X-Azure-*`, `X-AppEngine-*`); and any name ending in `-ip`,
 * `clientip`, `-addr` or `-address` (`X-Real-IP`, `Client-IP`, `True-Client-IP`,
 * `X-Cluster-Client-IP`, `X-ProxyUser-IP`, …).
 */
const FORWARDING_HEADER =
  /^(?:forwarded|via|cdn-loop|forwarded-for)$|^(?:x-forwarded|x-original-|x-envoy-|cf-|fastly-|akamai-|cloudfront-|x-amz-cf-|x-azure-|x-appengine-)|(?:-ip|clientip|-addr|-address)$/;

/** The reverse proxies whose `X-Forwarded-For` is believed (config `trustedProxies`). */
export class TrustedProxies {
  readonly #list = new BlockList();
  /** Whether any proxy is declared: then only a trusted proxy's word makes a request local. */
  readonly declared: boolean;

  /** `entries` are addresses or CIDR ranges (`127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`), checked by `trustedProxyError`. */
  constructor(entries: readonly string[] = []) {
    for (const entry of entries) {
      const { address, prefix } = parseEntry(entry)!;
      const family = isIPv4(address) ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.#list.addAddress(address, family);
      else this.#list.addSubnet(address, prefix, family);
    }
    this.declared = entries.length > 0;
  }

  /** Whether `address` (as a socket or a header gives it) is a trusted proxy. */
  has(address: string): boolean {
    const plain = unmapped(address);
    const family = isIP(plain);
    return family !== 0 && this.#list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** Why a `trustedProxies` entry is not an address or CIDR range, or undefined when it is. */
export function trustedProxyError(entry: string): string | undefined {
  return parseEntry(entry) === undefined
    ? 'must be an IP address or a CIDR range, e.g. "127.0.0.1", "::1" or "10.0.0.0/8"'
    : undefined;
}

function parseEntry(entry: string): { address: string; prefix: number | undefined } | undefined {
  const [address = '', prefixText, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return undefined;
  if (prefixText === undefined) return { address, prefix: undefined };
  const prefix = /^[0-9]{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  return prefix >= 0 && prefix <= (family === 4 ? 32 : 128) ? { address, prefix } : undefined;
}

/** The client of a request, its address read from a trusted proxy's `X-Forwarded-For` only. */
export function clientOf(request: ClientRequest, proxies: TrustedProxies): Client {
  const peer = unmapped(request.remoteAddress ?? '');
  if (!proxies.declared) {
    return client(peer, isLoopback(peer) && namesThisMachine(request.headers) && !isForwarded(request));
  }
  if (!proxies.has(peer)) return client(peer, false);
  const forwarded = forwardedClient(request.headers['x-forwarded-for'], proxies);
  return forwarded === undefined ? client(peer, false) : client(forwarded, isLoopback(forwarded));
}

function client(address: string, local: boolean): Client {
  return { address, local, addressKey: addressKey(address) };
}

/** Whether the request carries any header a forwarding proxy adds. */
function isForwarded(request: ClientRequest): boolean {
  return Object.keys(request.headers).some((name) => FORWARDING_HEADER.test(name));
}

/**
 * Whether the `Host` is this machine as a local client names it: absent, `localhost` or below
 * `.localhost`, or a loopback address. A proxy that passes the public name on (`Host: $host`)
 * makes the request not local, whatever else it adds.
 */
function namesThisMachine(headers: IncomingHttpHeaders): boolean {
  const host = headers.host;
  if (host === undefined) return true;
  const name = host.replace(/:[0-9]*$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || isLoopback(name);
}

/** The rightmost address of `X-Forwarded-For` that is not a trusted proxy; undefined when absent or malformed. */
function forwardedClient(header: string | string[] | undefined, proxies: TrustedProxies): string | undefined {
  if (header === undefined) return undefined;
  const hops = (Array.isArray(header) ? header.join(',') : header).split(',').map((hop) => unmapped(hop.trim()));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return undefined;
    if (i === 0 || !proxies.has(hop)) return hop;
  }
  return undefined;
}

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) as the IPv4 address it is. */
function unmapped(address: string): string {
  return /^::ffff:[0-9.]+$/i.test(address) ? address.slice('::ffff:'.length) : address;
}

/** 127.0.0.0/8 (also IPv4-mapped) and ::1. */
export function isLoopback(address: string): boolean {
  const v4 = unmapped(address);
  return (isIPv4(v4) && v4.startsWith('127.')) || (isIP(address) === 6 && expandIPv6(address) === LOOPBACK_V6);
}

const LOOPBACK_V6 = '0000:0000:0000:0000:0000:0000:0000:0001';

/**
 * Who a per-client bound counts an address as: an IPv4 address as it is, an IPv6 address by its
 * /64 (one subscriber's network: a client that rotates through its own /64 is one client).
 */
export function addressKey(address: string): string {
  const plain = unmapped(address);
  if (isIP(plain) !== 6) return plain;
  return `${expandIPv6(plain).slice(0, 19)}::/64`;
}

/** An IPv6 address written out in full: eight groups of four hex digits (`::` expanded, IPv4 tail converted). */
function expandIPv6(address: string): string {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const middle = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((group) => group.padStart(4, '0')).join(':');
}
