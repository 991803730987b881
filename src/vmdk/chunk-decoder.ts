/**
 * One decoder for every kind of inflate job (inflation.ts ChunkCodec): zlib grains through the
 * reused inflater (inflate.ts), WOF chunks through the XPRESS Huffman and LZX decompressors. The
 * calling thread and the inflate workers (inflate-worker.ts) decode with it, so a batch gives the
 * same results wherever it runs.
 */
import type * as zlib from 'node:zlib';
import { GrtError } from '../errors.js';
import { LzxDecompressor } from '../codecs/lzx.js';
import { XpressHuffmanDecompressor } from '../codecs/xpress-huffman.js';
import { createInflater, INFLATE_CORRUPT, type Inflater } from './inflate.js';
import type { ChunkCodec, InflateJob } from './inflation.js';

/** ChunkCodec by number, as jobs travel to a worker (a Float64Array of fields). */
export const CODECS: readonly ChunkCodec[] = ['zlib', 'xpress', 'lzx'];

export interface ChunkDecoder {
  /** Decode `job` into its `out`: bytes produced, or INFLATE_TOO_LARGE / INFLATE_CORRUPT (then `lastError` says why). */
  decode(job: InflateJob): number;
  lastError: string;
}

export function createChunkDecoder(zlibModule: typeof zlib): ChunkDecoder {
  let inflater: Inflater | undefined;
  let xpress: XpressHuffmanDecompressor | undefined;
  let lzx: LzxDecompressor | undefined;
  const decoder: ChunkDecoder = {
    lastError: '',
    decode(job) {
      if (job.codec === undefined || job.codec === 'zlib') {
        inflater ??= createInflater(zlibModule);
        const produced = inflater.inflate(job.input, job.out);
        if (produced === INFLATE_CORRUPT) decoder.lastError = inflater.lastError;
        return produced;
      }
      try {
        if (job.codec === 'xpress') (xpress ??= new XpressHuffmanDecompressor()).decompress(job.input, job.out);
        else (lzx ??= new LzxDecompressor()).decompress(job.input, job.out);
        return job.out.length;
      } catch (error) {
        // Only a GrtError is a verdict on the chunk; anything else is a bug, and stays one.
        if (!(error instanceof GrtError)) throw error;
        decoder.lastError = error.message;
        return INFLATE_CORRUPT;
      }
    },
  };
  return decoder;
}
