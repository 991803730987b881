/**
 * The fast-commit area scan on synthetic journals: its limits (area length, tags kept) and tags
 * that do not fit their block.
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/io/memory-source.js';
import { BlockReader } from '../../src/fs/ext/block-reader.js';
import { MAX_FAST_COMMIT_BLOCKS, MAX_FAST_COMMIT_BYTES, MAX_FAST_COMMIT_TAGS, scanFastCommits } from '../../src/fs/ext/jbd2/fast-commit.js';
import type { JournalLog, JournalSuperblock } from '../../src/fs/ext/jbd2/journal-superblock.js';

const BLOCK = 1024;
const TID = 7;

/** A journal of `areaBlocks` fast-commit blocks after a 2-block log, filled by `fill`, mapped 1:1 onto a volume. */
function journal(areaBlocks: number, fill: (area: DataView) => void, blockSize = BLOCK): JournalLog {
  const logEnd = 2;
  const maxLength = logEnd + 1 + areaBlocks;
  const bytes = new Uint8Array(maxLength * blockSize);
  fill(new DataView(bytes.buffer, (logEnd + 1) * blockSize));
  const sb = { blockSize, maxLength, first: 1, sequence: TID, start: 1, compat: 0, incompat: 0x20, logEnd, fastCommitBlocks: areaBlocks + 1, checksumSeed: 0 } satisfies JournalSuperblock;
  return { reader: new BlockReader(new MemorySource(bytes), blockSize, maxLength), volumeBlock: (n) => n, sb };
}

function head(area: DataView): number {
  area.setUint16(0, 9, true);
  area.setUint16(2, 8, true);
  area.setUint32(8, TID, true);
  return 12;
}

describe('fast-commit area scan', () => {
  it('reads a long area only as far as its fast commits go, and refuses them past MAX_FAST_COMMIT_BLOCKS', async () => {
    expect(await scanFastCommits(journal(MAX_FAST_COMMIT_BLOCKS + 1, head), TID)).toEqual({ tags: [], commits: 0, problem: 'unknown tag 0' });
    const padded = journal(MAX_FAST_COMMIT_BLOCKS + 1, (area) => {
      for (let at = 0; at < area.byteLength; at += BLOCK) {
        area.setUint16(at, 7, true); // PAD to the block's last byte
        area.setUint16(at + 2, BLOCK - 1 - 4, true);
      }
      head(area);
      area.setUint16(12, 7, true);
      area.setUint16(14, BLOCK - 1 - 12 - 4, true);
    });
    await expect(scanFastCommits(padded, TID)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });

  it('refuses to keep more than MAX_FAST_COMMIT_TAGS tags', async () => {
    const perBlock = Math.floor((BLOCK - 1 - 4) / 16) - 1;
    const log = journal(Math.ceil(MAX_FAST_COMMIT_TAGS / perBlock) + 2, (area) => {
      for (let block = 0; (block + 1) * BLOCK <= area.byteLength; block++) {
        let at = block === 0 ? head(area) : 0;
        for (; at + 16 + 4 < BLOCK - 1; at += 16) {
          area.setUint16(block * BLOCK + at, 2, true); // DEL_RANGE of 12 bytes
          area.setUint16(block * BLOCK + at + 2, 12, true);
        }
        area.setUint16(block * BLOCK + at, 7, true); // PAD to the block's last byte
        area.setUint16(block * BLOCK + at + 2, BLOCK - 1 - at - 4, true);
      }
    });
    await expect(scanFastCommits(log, TID)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });

  it('refuses to keep more than MAX_FAST_COMMIT_BYTES of tag values (INODE tags of 4 KiB blocks)', async () => {
    const blockSize = 4096;
    const inodeBytes = blockSize - 1 - 12 - 4;
    const log = journal(Math.ceil(MAX_FAST_COMMIT_BYTES / inodeBytes) + 2, (area) => {
      for (let at = 0; at < area.byteLength; at += blockSize) {
        area.setUint16(at + 12, 6, true); // INODE to the block's last byte
        area.setUint16(at + 14, inodeBytes, true);
        area.setUint16(at, 7, true); // a 12-byte PAD first (the HEAD in block 0)
        area.setUint16(at + 2, 8, true);
      }
      head(area);
    }, blockSize);
    await expect(scanFastCommits(log, TID)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });

  it('a tag running past its block ends the scan: with no valid fast commit, that is the problem', async () => {
    const scan = await scanFastCommits(journal(2, (area) => {
      const at = head(area);
      area.setUint16(at, 6, true);
      area.setUint16(at + 2, BLOCK, true);
    }), TID);
    expect(scan).toEqual({ tags: [], commits: 0, problem: `tag 6 of ${BLOCK} bytes past the block` });
  });

  it('an area that does not start with a HEAD of the expected transaction holds nothing, without a problem', async () => {
    expect(await scanFastCommits(journal(2, head), TID + 1)).toEqual({ tags: [], commits: 0 });
    expect(await scanFastCommits(journal(2, () => {}), TID)).toEqual({ tags: [], commits: 0 });
  });
});
