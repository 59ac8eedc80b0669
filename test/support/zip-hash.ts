/** The go.sum `h1:` of a module zip's bytes, as the go command computes it from the zip's files (`dirhash.HashZip`). */
import { unzipSync } from 'fflate';
import { Hash1, sha256Hex } from '../../lib/zip/hash.ts';

export function zipHash(zip: Uint8Array): string {
  const hash = new Hash1();
  for (const [name, data] of Object.entries(unzipSync(zip))) hash.add(name, sha256Hex(data));
  return hash.digest();
}
