/**
 * LZNT1 decompression of one NTFS compression unit.
 *
 * Sources: [MS-XCA] section 2.5 (LZNT1 algorithm details: chunk header, flag groups, copy tokens
 * whose offset/length split depends on the position in the chunk) and section 3.3 (worked example);
 * the libyal libfsntfs format notes on NTFS compression units (a unit's tail after the end marker
 * reads as zeros; every chunk stands for 4096 output bytes).
 *
 * Layout of the input: a sequence of chunks, each opening with a little-endian u16 header:
 *   bits 0–11  chunk size − 3 (the total size of the chunk, header included, is this + 3)
 *   bits 12–14 signature, 3 in everything Windows writes
 *   bit 15     1 = compressed chunk, 0 = the chunk's bytes are stored as they are
 * A header of 0 (or the end of the input) ends the data.
 */

import { GrtError } from '../errors.js';

/** Every LZNT1 chunk stands for at most this many output bytes ([MS-XCA] 2.5). */
const CHUNK_OUTPUT_SIZE = 4096;
const STRUCTURE = 'LZNT1 chunk';
/**
 * Largest output one call may ask for. An NTFS compression unit is 16 clusters of at most 4 KiB
 * (64 KiB); 1 MiB leaves room for odd units while keeping memory bounded if a caller derives the
 * length from a damaged header.
 */
export const MAX_LZNT1_OUTPUT = 1 << 20;

/**
 * Decompress `input` (the compressed clusters of one compression unit) into exactly
 * `outputLength` bytes. Output a chunk does not fill, and everything after the end marker, is
 * zero: NTFS pads each chunk's output to 4096 bytes and a unit's tail to the unit size. Chunks
 * past `outputLength` are not decoded. Damage (a chunk past the input, a copy reaching before
 * its chunk, a chunk decoding past 4096 bytes) throws BAD_COMPRESSED_DATA.
 *
 * NOTE: the signature bits are not checked; the Linux kernel driver and ntfs-3g ignore them too,
 * and refusing them would make data unreadable that Windows itself reads.
 */
export function decompressLznt1(input: Uint8Array, outputLength: number): Uint8Array {
  if (!Number.isSafeInteger(outputLength) || outputLength < 0) {
    throw new GrtError('USAGE', 'LZNT1 output length must be a non-negative integer', { actual: outputLength });
  }
  if (outputLength > MAX_LZNT1_OUTPUT) {
    throw new GrtError('LIMIT_EXCEEDED', 'LZNT1 unit larger than the limit', { structure: STRUCTURE, expected: MAX_LZNT1_OUTPUT, actual: outputLength });
  }
  // Decode into whole chunks and hand back the first `outputLength` bytes: a caller that asks for
  // a unit's first bytes only (a file's last unit) must still get a last chunk that is stored
  // whole, as Windows and ntfs-3g store it.
  const roomLength = Math.ceil(outputLength / CHUNK_OUTPUT_SIZE) * CHUNK_OUTPUT_SIZE;
  const output = new Uint8Array(roomLength);
  const inputLength = input.length;
  let inPos = 0;
  let chunkStart = 0; // where the current chunk's output begins

  while (inPos + 2 <= inputLength) {
    // NOTE: Windows compresses a file's last unit whole, zero tail included, even where the
    // caller wants only the file's bytes; like ntfs-3g, stop once the asked-for room is full.
    if (chunkStart >= roomLength) break;
    const header = input[inPos] | (input[inPos + 1] << 8);
    if (header === 0) break;
    const chunkDataSize = (header & 0x0fff) + 1;
    const dataStart = inPos + 2;
    const dataEnd = dataStart + chunkDataSize;
    if (dataEnd > inputLength) {
      throw new GrtError('BAD_COMPRESSED_DATA', 'chunk runs past the end of the compressed data', {
        structure: STRUCTURE,
        offset: inPos,
        expected: inputLength - dataStart,
        actual: chunkDataSize,
        space: 'compressed',
      });
    }
    const chunkLimit = chunkStart + CHUNK_OUTPUT_SIZE;

    if ((header & 0x8000) === 0) {
      // Stored chunk: its bytes are the output (at most 4096 of them: the size field has 12 bits).
      output.set(input.subarray(dataStart, dataEnd), chunkStart);
    } else {
      decompressChunk(input, dataStart, dataEnd, output, chunkStart, chunkLimit);
    }
    inPos = dataEnd;
    chunkStart += CHUNK_OUTPUT_SIZE;
  }
  return roomLength === outputLength ? output : output.subarray(0, outputLength);
}

/** Decode one compressed chunk's flag groups into output[chunkStart, chunkLimit). */
function decompressChunk(
  input: Uint8Array,
  dataStart: number,
  dataEnd: number,
  output: Uint8Array,
  chunkStart: number,
  chunkLimit: number,
): void {
  let inPos = dataStart;
  let outPos = chunkStart;
  while (inPos < dataEnd) {
    const flags = input[inPos++];
    for (let bit = 0; bit < 8 && inPos < dataEnd; bit++) {
      if ((flags & (1 << bit)) === 0) {
        if (outPos >= chunkLimit) throw overflow(inPos, chunkLimit);
        output[outPos++] = input[inPos++];
        continue;
      }
      if (inPos + 2 > dataEnd) {
        throw new GrtError('BAD_COMPRESSED_DATA', 'copy token cut off by the end of the chunk', {
          structure: STRUCTURE,
          offset: inPos,
          space: 'compressed',
        });
      }
      const token = input[inPos] | (input[inPos + 1] << 8);
      const position = outPos - chunkStart;
      if (position === 0) {
        throw new GrtError('BAD_COMPRESSED_DATA', 'copy token before any output in the chunk', {
          structure: STRUCTURE,
          offset: inPos,
          space: 'compressed',
        });
      }
      // [MS-XCA] 2.5: the offset field is as wide as needed to reach the chunk start, at least
      // 4 bits; the length takes the rest of the 16 bits.
      let offsetBits = 4;
      for (let reach = (position - 1) >> 4; reach !== 0; reach >>= 1) offsetBits++;
      const lengthBits = 16 - offsetBits;
      const distance = (token >>> lengthBits) + 1;
      const length = (token & ((1 << lengthBits) - 1)) + 3;
      if (distance > position) {
        throw new GrtError('BAD_COMPRESSED_DATA', 'copy token reaches before the chunk start', {
          structure: STRUCTURE,
          offset: inPos,
          expected: position,
          actual: distance,
          space: 'compressed',
        });
      }
      if (outPos + length > chunkLimit) throw overflow(inPos, chunkLimit);
      // Byte by byte on purpose: a copy may overlap its own output (a run of repeats).
      let from = outPos - distance;
      const end = outPos + length;
      while (outPos < end) output[outPos++] = output[from++];
      inPos += 2;
    }
  }
}

function overflow(offset: number, limit: number): GrtError {
  return new GrtError('BAD_COMPRESSED_DATA', 'chunk decodes to more than its output room', {
    structure: STRUCTURE,
    offset,
    expected: limit,
    space: 'compressed',
  });
}
