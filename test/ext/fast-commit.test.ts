/**
 * ext4 fast commits (test-images/ext/make-fast-commit.sh): the journal's full commit is replayed
 * and a fast commit that follows it, which grt does not replay, is never passed over silently.
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/io/memory-source.js';
import { openExt } from '../../src/fs/ext/volume.js';
import { volumeBytes } from './ext-images.js';

const IMAGE = 'ext4-fast-commit.img.gz';
/** Where make-fast-commit.sh wrote the fast-commit head (its log line; mke2fs's layout for 16 MiB). */
const FAST_COMMIT_BYTE = 1292 * 4096;
const FC_TID_OFFSET = 8;

async function open(bytes: Uint8Array) {
  return openExt(new MemorySource(bytes));
}

describe('ext4 fast commit', () => {
  it('replays the full commit (as e2fsck does) and warns that the fast commit after it is not replayed', async () => {
    const fs = await open(volumeBytes(IMAGE));
    expect(fs.info.journalReplayed).toBe(1);
    expect(await (await fs.openStream('/file.txt')).read(0, 23)).toEqual(new TextEncoder().encode('after the full commit\n\0'));
    const warning = fs.warnings.find((w) => w.code === 'FAST_COMMIT_NOT_REPLAYED');
    expect(warning?.message).toBe('ext4 fast commit for transaction 2 in the journal: grt does not replay fast commits, so the newest changes (made just before the backup) may be missing');
  });

  it('a fast-commit area left from an older transaction is not warned about', async () => {
    const bytes = volumeBytes(IMAGE);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(FAST_COMMIT_BYTE + FC_TID_OFFSET, 1, true);
    const fs = await open(bytes);
    expect(fs.info.journalReplayed).toBe(1);
    expect(fs.warnings.filter((w) => w.code === 'FAST_COMMIT_NOT_REPLAYED')).toEqual([]);
  });

  it('an empty fast-commit area gives no warning', async () => {
    const bytes = volumeBytes(IMAGE);
    bytes.fill(0, FAST_COMMIT_BYTE, FAST_COMMIT_BYTE + 4096);
    const fs = await open(bytes);
    expect(fs.warnings.filter((w) => w.code === 'FAST_COMMIT_NOT_REPLAYED')).toEqual([]);
  });
});
