/**
 * Single byte ranges (RFC 9110 §14): `Range: bytes=a-b`, `bytes=a-`, `bytes=-n`, for answers whose
 * length is known (zips complete in the zip cache). Anything else is answered whole, as the RFC
 * allows: several ranges, other units, syntax errors, and any `If-Range` (a zip's ETag is weak, and
 * If-Range needs a strong validator).
 */
import type { IncomingMessage } from 'node:http';

/** The bytes to send: `start` up to, not including, `end`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** The range asked for, `'unsatisfiable'` (416), or undefined to answer the whole body. */
export function requestedRange(req: IncomingMessage, size: number): ByteRange | 'unsatisfiable' | undefined {
  const header = req.headers.range;
  if (header === undefined || req.headers['if-range'] !== undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null || (match[1] === '' && match[2] === '')) return undefined;
  const [first, last] = [match[1]!, match[2]!];
  if (first === '') {
    const suffix = Number(last);
    return suffix === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(first);
  const end = last === '' ? size : Math.min(size, Number(last) + 1);
  if (last !== '' && Number(last) < start) return undefined; // invalid: ignored
  return start >= size ? 'unsatisfiable' : { start, end };
}
