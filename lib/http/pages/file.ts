/**
 * `/-/files/<module path>/@v/<version>/<path>`: a file of a version's zip, as a README links to it
 * (an image, a document). Found as the version page finds the version, so a project the caller may
 * not read is the same 404; only files the zip holds are served. Images by their type, everything
 * else as plain text, under a Content-Security-Policy that runs nothing (an SVG opened on its own
 * included) and with `nosniff`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyService } from '../../access/service.ts';
import { notFound } from '../../common/errors.ts';
import { ObjectTooLargeError } from '../../git/objects.ts';
import { goQuote } from '../../modules/go-quote.ts';
import { bodyETag, sendCacheable } from '../cache.ts';
import type { PageRequest } from './links.ts';
import { pageProject } from './repository-modules.ts';

/** Largest file served. */
const MAX_FILE_BYTES = 8 << 20;

/** Nothing runs, nothing loads but from here: an SVG or HTML file opened on its own is inert. */
const FILE_POLICY = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";

const IMAGE_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
};

export async function sendVersionFile(
  service: ProxyService,
  request: PageRequest,
  route: { readonly modulePath: string; readonly version: string; readonly path: string },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const module = service.module({ kind: 'instance' }, route.modulePath, request.caller);
  pageProject(module); // no page, nor upstream request, for a module from elsewhere
  const version = await module.exact(route.version);
  let bytes: Uint8Array | undefined;
  try {
    bytes = await module.versionFile(version, route.path, MAX_FILE_BYTES);
  } catch (error) {
    if (!(error instanceof ObjectTooLargeError)) throw error;
    throw notFound(`${goQuote(route.path)}: larger than ${MAX_FILE_BYTES} bytes, not shown here`);
  }
  if (bytes === undefined) {
    throw notFound(`${goQuote(route.path)}: no such file in ${route.modulePath}@${version.version}`);
  }
  const ext = route.path.slice(route.path.lastIndexOf('.') + 1).toLowerCase();
  res.setHeader('Content-Security-Policy', FILE_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  await sendCacheable(req, res, {
    contentType: IMAGE_TYPES[ext] ?? 'text/plain; charset=utf-8',
    body: bytes,
    etag: bodyETag(`${version.commit}\0${route.modulePath}\0${route.path}`),
    cacheControl: 'private, no-cache',
  });
}
