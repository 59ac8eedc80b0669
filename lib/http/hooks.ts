/**
 * `POST /-/hooks/push`: a git host tells the proxy that a mirrored repository changed, and the
 * mirror is fetched at once (the service verifies and acts: `PushHooks`, access/service.ts).
 *
 * Off (the 404 of an unknown endpoint) until the config sets `webhookSecret`. The body is read up to
 * 1 MiB (`413` beyond, and the connection is closed); a bad signature is `401`, a repository no
 * mirror fetches `404`, each one fixed line whatever exists on this server; a verified push for a
 * mirror is `202`, a ping or another event for one `200`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, notFound, ProxyError } from '../common/errors.ts';
import type { PushHooks } from '../access/service.ts';
import { sendText } from './respond.ts';

/** Largest webhook body taken: a push of many commits is tens of KiB. */
const MAX_HOOK_BODY = 1 << 20;

export async function answerPushHook(
  hooks: PushHooks | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (hooks === undefined) throw notFound('no such endpoint');
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return sendText(req, res, 405, `method ${req.method ?? ''} not allowed`);
  }
  const outcome = hooks.receive(req.headers, await readBody(req, res));
  switch (outcome.kind) {
    case 'fetching':
      return sendText(req, res, 202, `accepted: fetching ${outcome.mirrors} mirror${outcome.mirrors === 1 ? '' : 's'}`);
    case 'pong':
      return sendText(req, res, 200, 'pong');
    case 'ignored':
      return sendText(req, res, 200, 'ignored: not a push');
  }
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
