/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of ext4 metadata_csum,
 * jbd2 csum v2/v3 and XFS v5 metadata.
 *
 * NOTE: ext4 and jbd2 call the kernel's crc32c_le(seed, data), which neither inverts the seed on
 * entry nor the result on exit (kernel "ext4 Data Structures and Algorithms", Checksums). So this
 * returns the raw register: `crc32cRaw(~0 >>> 0, data)` is what ext4 stores, and chaining is plain
 * (`crc32cRaw(crc32cRaw(seed, a), b)`).
 */
/**
 * Slicing-by-8 tables: TABLES[0] is the byte-at-a-time table, TABLES[k][n] the register after n
 * followed by k zero bytes, so eight bytes fold in with eight lookups and no carried dependency
 * between them (a listing checks one 256-byte inode per file: byte at a time was ~10% of it).
 */
const TABLES = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    tables[0]![n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) tables[k]![n] = (tables[k - 1]![n]! >>> 8) ^ tables[0]![tables[k - 1]![n]! & 0xff]!;
  }
  return tables;
})();
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];

/** The register after `data[start, end)` (whole `data` by default). */
export function crc32cRaw(seed: number, data: Uint8Array, start = 0, end = data.length): number {
  let crc = seed >>> 0;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const low = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    crc = T7[low & 0xff]! ^ T6[(low >>> 8) & 0xff]! ^ T5[(low >>> 16) & 0xff]! ^ T4[low >>> 24]!
      ^ T3[data[i + 4]!]! ^ T2[data[i + 5]!]! ^ T1[data[i + 6]!]! ^ T0[data[i + 7]!]!;
  }
  for (; i < end; i++) crc = T0[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

/** The register after the four little-endian bytes of `value` (an inode or group number), without a buffer. */
export function crc32cU32le(seed: number, value: number): number {
  let crc = seed >>> 0;
  for (let shift = 0; shift < 32; shift += 8) crc = T0[(crc ^ (value >>> shift)) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

const ZEROS = new Uint8Array(4);

/** The register after `count` (≤ 4) zero bytes: a checksum field counted as zeros without copying. */
export function crc32cZeros(seed: number, count: number): number {
  return crc32cRaw(seed, ZEROS, 0, count);
}
