/** Fuzz target for the ext2/3/4 reader: the committed ext volumes, damaged around their metadata. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MemorySource } from '../../src/io/memory-source.js';
import { ExtVolume } from '../../src/fs/ext/ext-volume.js';
import { openExt } from '../../src/fs/ext/volume.js';
import type { FuzzTarget } from './target-kit.js';
import { exerciseFs } from './targets-fs.js';

const VOLUMES = ['ext2-1k', 'ext3-1k', 'ext4-4k', 'ext4-nocsum', 'ext4-inline', 'ext4-journal', 'ext4-journal-csum3'];
/** Inodes aimed at: the root, the journal, and the first files mke2fs -d wrote. */
const INODES_AIMED_AT = 240;

export const realExtTarget: FuzzTarget = {
  name: 'ext-real',
  async generate(rng, ctx) {
    const name = rng.pick(VOLUMES);
    const bytes = new Uint8Array(gunzipSync(await readFile(join(ctx.root, 'test-images/ext', `${name}.img.gz`))));
    const volume = await ExtVolume.open(new MemorySource(bytes), { replayJournal: false });
    const { sb } = volume;
    const table = volume.groups.get(0).inodeTableBlock * sb.blockSize;
    const file = 'ext.img';
    const regions = [
      { file, start: 1024, length: 1024 },
      { file, start: (sb.firstDataBlock + 1) * sb.blockSize, length: sb.blockSize },
      { file, start: table, length: INODES_AIMED_AT * sb.inodeSize },
    ];
    if (sb.journalInode !== 0) {
      const journal = await volume.readInode(sb.journalInode);
      const [first] = await volume.dataRuns(journal, []);
      if (first?.physicalBlock) regions.push({ file, start: first.physicalBlock * sb.blockSize, length: 32 * sb.blockSize });
    }
    return { files: new Map([[file, bytes]]), main: file, hints: { records: { file, start: table, count: INODES_AIMED_AT, size: sb.inodeSize }, regions } };
  },
  async run(input, _ctx, rng) {
    const fs = await openExt(new MemorySource(input.files.get(input.main)!, input.main));
    return exerciseFs(fs, rng);
  },
};

/** The fast-commit volume (test-images/ext-fastcommit): damage aimed at its fast-commit area and inode table. */
export const fastCommitExtTarget: FuzzTarget = {
  name: 'ext-fastcommit',
  async generate(_rng, ctx) {
    const folder = join(ctx.root, 'test-images/ext-fastcommit');
    const bytes = new Uint8Array(gunzipSync(await readFile(join(folder, 'ext4-fastcommit.img.gz'))));
    const { fastCommitBlocks } = JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf-8')) as { fastCommitBlocks: number[] };
    const volume = await ExtVolume.open(new MemorySource(bytes), { replayJournal: false });
    const { sb } = volume;
    const table = volume.groups.get(0).inodeTableBlock * sb.blockSize;
    const file = 'ext.img';
    const regions = [{ file, start: fastCommitBlocks[0]!, length: fastCommitBlocks.length * sb.blockSize }, { file, start: table, length: 32 * sb.inodeSize }];
    return { files: new Map([[file, bytes]]), main: file, hints: { regions } };
  },
  run: realExtTarget.run,
};
