/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of ext4 metadata_csum,
 * jbd2 csum v2/v3 and XFS v5 metadata.
 *
 * NOTE: ext4 and jbd2 call the kernel's crc32c_le(seed, data), which neither inverts the seed on
 * entry nor the result on exit (kernel "ext4 Data Structures and Algorithms", Checksums). So this
 * returns the raw register: `crc32cRaw(~0 >>> 0, data)` is what ext4 stores, and chaining is plain
 * (`crc32cRaw(crc32cRaw(seed, a), b)`).
 */
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The register after `data[start, end)` (whole `data` by default). */
export function crc32cRaw(seed: number, data: Uint8Array, start = 0, end = data.length): number {
  let crc = seed >>> 0;
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

const ZEROS = new Uint8Array(4);

/** The register after `count` (≤ 4) zero bytes: a checksum field counted as zeros without copying. */
export function crc32cZeros(seed: number, count: number): number {
  return crc32cRaw(seed, ZEROS, 0, count);
}
