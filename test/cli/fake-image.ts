/** An Image (src/image.ts) over in-memory bytes and fake file systems, for in-process CLI tests. */
import { GrtError } from '../../src/errors.js';
import type { FileSystem } from '../../src/fs/file-system.js';
import { chooseVolume, type Image } from '../../src/image.js';
import { MemorySource } from '../../src/io/memory-source.js';
import type { DiskRange, VirtualDisk } from '../../src/vmdk/disk.js';
import type { Volume } from '../../src/volume/types.js';

/** A disk of `bytes` whose all-zero 64 KiB blocks map as 'zero'. */
export function fakeDisk(bytes: Uint8Array): VirtualDisk {
  const source = new MemorySource(bytes);
  const block = 65536;
  return {
    size: source.size,
    read: (offset, length) => source.read(offset, length),
    info: {
      path: '/images/fake.vmdk', format: 'vmdk', createType: 'monolithicSparse', capacity: bytes.length, cid: '0a0b0c0d', parentCid: 'ffffffff',
      ddb: {}, extents: [{ access: 'RW', sectorCount: bytes.length / 512, type: 'SPARSE', file: 'fake.vmdk', format: 'sparse' }],
      chain: [{ path: '/images/fake.vmdk', cid: '0a0b0c0d', parentCid: 'ffffffff', createType: 'monolithicSparse' }],
      warnings: [],
    },
    parent: undefined,
    inputFiles: () => [],
    async map(offset, length) {
      const out: DiskRange[] = [];
      for (let at = offset; at < offset + length; at += block) {
        const end = Math.min(at + block, offset + length);
        const state = bytes.subarray(at, end).some((b) => b !== 0) ? 'data' : 'zero';
        const last = out[out.length - 1];
        if (last && last.state === state) last.length += end - at;
        else out.push({ offset: at, length: end - at, state });
      }
      return out;
    },
    async close() {},
  };
}

export function fakeImage(disk: VirtualDisk, fileSystems: FileSystem[]): Image {
  const volumes: Volume[] = fileSystems.map((_, i) => ({
    id: String(i + 1), index: i + 1, scheme: 'gpt', start: 1048576 * (i + 1), size: 104857600, type: 'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7',
    typeName: 'Microsoft basic data', name: `part${i + 1}`, fs: 'ntfs', label: 'FAKE', source: new MemorySource(new Uint8Array(0)),
  }));
  const layout = { scheme: 'gpt' as const, sectorSize: 512, volumes, warnings: [] };
  return {
    disk,
    disks: [disk],
    layout,
    async openFileSystem(index) {
      const volume = chooseVolume(layout, index);
      const fs = fileSystems[volume.index - 1];
      if (!fs) throw new GrtError('NOT_FOUND', 'no such volume');
      return fs;
    },
    async close() {},
  };
}
