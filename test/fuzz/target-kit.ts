/** The fuzz target contract and the reading helpers every target shares. */
import { type ByteSource } from '../../src/io/byte-source.js';
import { type Files, type MutationHints, type Rng } from './mutate.js';

export interface FuzzInput {
  files: Files;
  /** The file the entry point opens. */
  main: string;
  hints?: MutationHints;
}

export interface FuzzContext {
  /** Repository root (committed images are read from there). */
  root: string;
  /** A fresh directory for this case; the input files are written into `dir/in`. */
  dir: string;
}

export interface FuzzTarget {
  name: string;
  generate(rng: Rng, ctx: FuzzContext): Promise<FuzzInput>;
  /** Damage the input (default: byte-level mutations over the hinted files). */
  mutate?(input: FuzzInput, rng: Rng): { files: Files; log: string[] };
  /** Exercise the entry point on the (damaged) input written to `dir/in`; returns a short summary. */
  run(input: FuzzInput, ctx: FuzzContext, rng: Rng): Promise<string>;
}

export const SECTOR = 512;
/** Whole-source reads stop here: a header may claim a terabyte, and reading it is not the point. */
export const FULL_READ_LIMIT = 1024 * 1024;
/** Windows read from a source too big to read whole. */
export const SAMPLE_WINDOWS = 16;

/** Read a source in randomly split pieces (whole if small, else its ends and random windows). */
export async function readAround(source: ByteSource, rng: Rng): Promise<number> {
  let checksum = 0;
  const readRange = async (start: number, end: number) => {
    // A few odd-sized pieces first (splits across sectors and grains), then big ones.
    for (let at = start, n = 0; at < end; n++) {
      const length = Math.min(end - at, n < 4 ? rng.pick([1, 511, SECTOR, 4097]) : rng.pick([4096, 65536, 200_000]));
      const bytes = await source.read(at, length);
      if (bytes.length !== length) throw new Error(`read(${at}, ${length}) returned ${bytes.length} bytes`);
      checksum = (checksum + (bytes[0] ?? 0)) | 0;
      at += length;
    }
  };
  if (source.size <= FULL_READ_LIMIT) {
    await readRange(0, source.size);
  } else {
    await readRange(0, 65536);
    await readRange(source.size - 65536, source.size);
    for (let i = 0; i < SAMPLE_WINDOWS; i++) {
      const at = rng.below(source.size - 65536);
      await readRange(at, at + 65536);
    }
  }
  return checksum;
}
