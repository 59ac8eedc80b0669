/**
 * `POST /-/hooks/push`: a git host tells the proxy that a mirrored repository changed, and the
 * mirror is fetched at once (coalesced with a fetch under way: mirrors/mirror.ts).
 *
 * Off (the 404 of an unknown endpoint) until the config sets `webhookSecret`. The body, at most
 * 1 MiB (`413` beyond), is verified before anything in it is read (mirrors/webhook.ts): a missing or
 * wrong signature is `401`, a verified push for a repository no mirror fetches is `404`, each with
 * one fixed line whatever exists on this server; a verified push for a mirror is `202`, a ping or
 * another event for one is `200` and changes nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, notFound, ProxyError } from '../common/errors.ts';
import type { MirrorSet } from '../mirrors/mirror-set.ts';
import { readHook } from '../mirrors/webhook.ts';
import { sendText } from './respond.ts';

/** Largest webhook body taken: a push of many commits is tens of KiB. */
const MAX_HOOK_BODY = 1 << 20;

export async function answerPushHook(mirrors: MirrorSet, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const secret = mirrors.webhookSecret;
  if (secret === undefined) throw notFound('no such endpoint');
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return sendText(req, res, 405, `method ${req.method ?? ''} not allowed`);
  }
  const hook = readHook(req.headers, await readBody(req, res), secret);
  if (hook === 'unverified') {
    throw new ProxyError('unauthorized', 'unauthorized: no valid webhook signature or token');
  }
  if (hook === 'malformed') throw badRequest('the webhook body is not a JSON object');
  const matching = mirrors.matching(hook.urls);
  if (matching.length === 0) throw notFound('no mirror of this repository');
  if (hook.kind !== 'push') return sendText(req, res, 200, hook.kind === 'ping' ? 'pong' : 'ignored: not a push');
  for (const mirror of matching) void mirror.fetch('webhook');
  sendText(req, res, 202, `accepted: fetching ${matching.length} mirror${matching.length === 1 ? '' : 's'}`);
}

/** The request body, up to `MAX_HOOK_BODY` bytes; beyond it a `413`, after which the connection is closed. */
function readBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer> {
  const tooLarge = () => {
    res.setHeader('Connection', 'close');
    return new ProxyError('too-large', `payload too large: a webhook body is at most ${MAX_HOOK_BODY} bytes`);
  };
  if (Number(req.headers['content-length'] ?? 0) > MAX_HOOK_BODY) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length <= MAX_HOOK_BODY) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause(); // the rest is never read: the answer closes the connection
      reject(tooLarge());
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, length)));
    req.once('close', () => reject(badRequest('the webhook body ended early')));
  });
}
