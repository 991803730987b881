/**
 * BlockFileSource (src/fs/ext/file-data.ts): any byte range of a file mapped by block runs (holes
 * among them) reads as the bytes the runs name, through read() and through readInto() into a
 * reused (dirty) buffer alike, with replayed journal blocks patched in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockReader } from '../../src/fs/ext/block-reader.js';
import type { BlockRun } from '../../src/fs/ext/block-runs.js';
import { BlockFileSource } from '../../src/fs/ext/file-data.js';
import { MemorySource } from '../../src/io/memory-source.js';

const BLOCK = 1024;
const VOLUME_BLOCKS = 64;

/** Volume block b holds bytes (b * 7 + i) & 0xff: every block tells where it came from. */
function volume(): Uint8Array {
  const bytes = new Uint8Array(VOLUME_BLOCKS * BLOCK);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (Math.floor(i / BLOCK) * 7 + i) & 0xff;
  return bytes;
}

const runsArb = fc.array(fc.record({ physical: fc.option(fc.integer({ min: 0, max: VOLUME_BLOCKS - 4 }), { nil: null }), count: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 12 });

describe('BlockFileSource', () => {
  it('read and readInto give the mapped bytes, zeros in holes, replayed blocks from the journal (property)', async () => {
    const bytes = volume();
    await fc.assert(
      fc.asyncProperty(runsArb, fc.nat(), fc.nat(), fc.integer({ min: 0, max: VOLUME_BLOCKS - 1 }), async (spec, a, b, replayedHome) => {
        const reader = new BlockReader(new MemorySource(bytes), BLOCK, VOLUME_BLOCKS);
        reader.overlay.set(replayedHome, { journalBlockNumber: VOLUME_BLOCKS - 1, escaped: false });
        const runs: BlockRun[] = [];
        let logical = 0;
        for (const { physical, count } of spec) {
          runs.push({ logicalBlock: logical, physicalBlock: physical, count });
          logical += count;
        }
        const size = logical * BLOCK - (a % BLOCK);
        const expected = new Uint8Array(size);
        for (const run of runs) {
          if (run.physicalBlock === null) continue;
          for (let i = 0; i < run.count; i++) {
            const from = run.physicalBlock + i === replayedHome ? VOLUME_BLOCKS - 1 : run.physicalBlock + i;
            const at = (run.logicalBlock + i) * BLOCK;
            expected.set(bytes.subarray(from * BLOCK, from * BLOCK + Math.min(BLOCK, size - at)), at);
          }
        }
        const source = new BlockFileSource(reader, runs, size, 'test file');
        const offset = b % size;
        const length = (a + b) % (size - offset + 1);
        expect(await source.read(offset, length)).toEqual(expected.subarray(offset, offset + length));
        const target = new Uint8Array(length).fill(0xee);
        await source.readInto(offset, target);
        expect(target).toEqual(expected.subarray(offset, offset + length));
      }),
      { numRuns: 300 },
    );
  });
});
