/**
 * ext4 fast commits (test-images/ext/make-fast-commit.sh): the journal's full commit is replayed
 * and so is the fast commit that follows it (a HEAD and a TAIL, no change); an area left from an
 * older transaction or empty is no fast commit. The changes fast commits make are tested in
 * fast-commit-replay.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/io/memory-source.js';
import { openExt } from '../../src/fs/ext/volume.js';
import { volumeBytes } from './ext-images.js';

const IMAGE = 'ext4-fast-commit.img.gz';
/** Where make-fast-commit.sh wrote the fast-commit head (its log line; mke2fs's layout for 16 MiB). */
const FAST_COMMIT_BYTE = 1292 * 4096;
const FC_TID_OFFSET = 8;
/** fc_crc of the TAIL after the 12-byte HEAD tag. */
const FC_CRC_OFFSET = 12 + 8;

async function open(bytes: Uint8Array) {
  return openExt(new MemorySource(bytes));
}

describe('ext4 fast commit', () => {
  it('replays the full commit and the (empty) fast commit after it, as e2fsck does', async () => {
    const fs = await open(volumeBytes(IMAGE));
    expect(fs.info.journalReplayed).toBe(1);
    expect(await (await fs.openStream('/file.txt')).read(0, 23)).toEqual(new TextEncoder().encode('after the full commit\n\0'));
    expect(fs.warnings.map((w) => w.code)).toEqual(['JOURNAL_REPLAYED', 'FAST_COMMITS_REPLAYED']);
    expect(fs.warnings[1]!.message).toBe('fast commits replayed: 1 (in memory; the image is unchanged)');
  });

  it('a fast commit whose TAIL checksum fails is not replayed, and a warning says so', async () => {
    const bytes = volumeBytes(IMAGE);
    bytes[FAST_COMMIT_BYTE + FC_CRC_OFFSET] ^= 1;
    const fs = await open(bytes);
    expect(fs.info.journalReplayed).toBe(1);
    expect(fs.warnings.filter((w) => w.code.startsWith('FAST_COMMIT')).map((w) => w.message)).toEqual([
      'ext4 fast commit for transaction 2 not replayed (checksum does not match), so the newest changes (made just before the backup) may be missing',
    ]);
  });

  it('a fast-commit area left from an older transaction is not warned about', async () => {
    const bytes = volumeBytes(IMAGE);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(FAST_COMMIT_BYTE + FC_TID_OFFSET, 1, true);
    const fs = await open(bytes);
    expect(fs.info.journalReplayed).toBe(1);
    expect(fs.warnings.map((w) => w.code)).toEqual(['JOURNAL_REPLAYED']);
  });

  it('an empty fast-commit area gives no warning', async () => {
    const bytes = volumeBytes(IMAGE);
    bytes.fill(0, FAST_COMMIT_BYTE, FAST_COMMIT_BYTE + 4096);
    const fs = await open(bytes);
    expect(fs.warnings.map((w) => w.code)).toEqual(['JOURNAL_REPLAYED']);
  });
});
