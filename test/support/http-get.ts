/**
 * A raw HTTP GET for tests that look at bytes on the wire: no automatic decompression, no cache,
 * headers exactly as sent (fetch() would gunzip bodies and add its own Accept-Encoding).
 */
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as received (still gzipped when Content-Encoding says so). */
  readonly body: Buffer;
}

/** GET (or `method`) `url` with exactly `headers`, and read the whole body. */
export function rawGet(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
