/**
 * CRC-32 as zip uses it (IEEE 802.3, reflected polynomial 0xEDB88320, initial value and final xor
 * 0xFFFFFFFF), computed incrementally so a stream can be checked chunk by chunk.
 *
 * Slicing-by-8: eight 256-entry tables let the hot loop consume eight bytes per iteration, which
 * matters because Node 20 has no native `zlib.crc32` and every inflated byte passes through here.
 */

const POLYNOMIAL = 0xedb88320;
const TABLES = buildTables();

function buildTables(): Int32Array {
  const tables = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? POLYNOMIAL ^ (c >>> 1) : c >>> 1;
    tables[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[n];
    for (let slice = 1; slice < 8; slice++) {
      c = tables[c & 0xff] ^ (c >>> 8);
      tables[slice * 256 + n] = c;
    }
  }
  return tables;
}

/**
 * Continues a CRC-32 over `bytes`. Start with `crc32(data)` (previous defaults to 0) and feed the
 * result back as `previous` for the next chunk; the value is always an unsigned 32-bit number.
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const t = TABLES;
  let c = ~previous;
  let i = 0;
  const fastEnd = bytes.length - (bytes.length & 7);
  while (i < fastEnd) {
    const lo = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c = t[1792 + (lo & 0xff)] ^
      t[1536 + ((lo >>> 8) & 0xff)] ^
      t[1280 + ((lo >>> 16) & 0xff)] ^
      t[1024 + (lo >>> 24)] ^
      t[768 + bytes[i + 4]] ^
      t[512 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^
      t[bytes[i + 7]];
    i += 8;
  }
  while (i < bytes.length) c = t[(c ^ bytes[i++]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
