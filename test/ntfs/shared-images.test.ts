/**
 * The shared NTFS image set (test-images/ntfs, made by the test-images helper with mkntfs +
 * ntfs-3g inside VMDKs; manifest.json checked against TSK): every manifest entry lists and
 * extracts through this reader as the manifest says.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SliceSource } from '../../src/io/slice-source.js';
import type { FileEntry } from '../../src/fs/file-system.js';
import { openNtfs, type NtfsVolume } from '../../src/fs/ntfs/volume.js';
import { nsToIso } from '../../src/util/time.js';
import { openDisk } from '../../src/vmdk/disk.js';

const DIR = new URL('../../test-images/ntfs/', import.meta.url).pathname;
const MANIFEST = `${DIR}manifest.json`;

interface ManifestEntry {
  path: string;
  type: string;
  mftRecord: number;
  size: number | null;
  sha256: string | null;
  streams: { name: string; size: number; sha256: string }[];
  links?: number;
  target?: string;
  dosName?: string;
  attributes?: number;
  mtime?: string;
  deleted?: boolean;
}

const manifest = existsSync(MANIFEST) ? JSON.parse(readFileSync(MANIFEST, 'utf8')) : undefined;
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function readAll(volume: NtfsVolume, entry: FileEntry, stream = ''): Promise<Uint8Array> {
  const source = await volume.openStream(entry, stream);
  return source.read(0, source.size);
}

describe.skipIf(!manifest)('shared NTFS test images', () => {
  for (const disk of (manifest?.disks ?? []) as { name: string; files: Record<string, string>; partitions: { startSector: number; sectorCount: number; volume: string }[] }[]) {
    for (const file of Object.values(disk.files)) {
      it(`${file}: every manifest entry`, { timeout: 20_000 }, async () => {
        const image = await openDisk(`${DIR}${file}`);
        try {
          for (const partition of disk.partitions) {
            const expected = manifest.volumes.find((v: { name: string }) => v.name === partition.volume);
            const volume = await openNtfs(new SliceSource(image, partition.startSector * 512, partition.sectorCount * 512));
            expect(volume.info.label).toBe(expected.label);
            expect(volume.info.serial).toBe(expected.serialNumber);
            expect(volume.info.clusterSize).toBe(expected.clusterSize);
            expect(volume.info.sectorSize).toBe(expected.bytesPerSector);
            expect(volume.info.recordSize).toBe(expected.mftRecordSize);
            const listed = new Map<string, FileEntry>();
            for await (const entry of volume.walk('/', { deleted: true })) listed.set(entry.path, entry);
            for (const want of expected.entries as ManifestEntry[]) {
              const entry = listed.get(want.path);
              expect(entry, want.path).toBeDefined();
              expect(entry!.type, want.path).toBe(want.type);
              expect(entry!.id.record, want.path).toBe(want.mftRecord);
              expect(Boolean(entry!.deleted), want.path).toBe(Boolean(want.deleted));
              if (want.target !== undefined) expect(entry!.target, want.path).toBe(want.target);
              if (want.dosName !== undefined) expect(entry!.dosName, want.path).toBe(want.dosName);
              if (want.attributes !== undefined) expect(entry!.attributes, want.path).toBe(want.attributes);
              if (want.mtime !== undefined) expect(nsToIso(entry!.times.mtime).replace(/\.0+Z$/, 'Z'), want.path).toBe(want.mtime);
              // The manifest counts a separate DOS name as a link and a directory as one (ntfs-3g's st_nlink).
              if (want.links !== undefined && want.type !== 'dir') expect(entry!.links + (entry!.dosName ? 1 : 0), want.path).toBe(want.links);
              if (want.sha256 !== null && want.type !== 'dir') {
                const bytes = await readAll(volume, entry!);
                expect(bytes.length, want.path).toBe(want.size);
                expect(sha(bytes), want.path).toBe(want.sha256);
              }
              for (const stream of want.streams) {
                expect(entry!.streams.find((s) => s.name === stream.name)?.size, `${want.path}:${stream.name}`).toBe(stream.size);
                expect(sha(await readAll(volume, entry!, stream.name)), `${want.path}:${stream.name}`).toBe(stream.sha256);
              }
            }
            expect(volume.warnings).toEqual([]);
          }
        } finally {
          await image.close();
        }
      });
    }
  }
});
