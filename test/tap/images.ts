/** The committed NTFS images the tap is tested on, as the bytes a backup writes, with their post-pass catalogs. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openImage } from '../../src/image.js';
import { buildImageCatalog } from '../../src/catalog/for-image.js';

export interface TapImage {
  name: string;
  /** The bytes a backup product writes: the VMDK file, or the raw disk. */
  stream: Uint8Array;
  /** The virtual disk's bytes (for readBack and for blocks). */
  disk: Uint8Array;
  /** The catalog a post-pass over the finished file writes. */
  catalog: Uint8Array;
  kind: 'vmdk' | 'raw';
}

const ROOT = join(import.meta.dirname, '../../test-images');
const SCRATCH = mkdtempSync(join(tmpdir(), 'grt-tap-'));

async function postPass(path: string): Promise<{ catalog: Uint8Array; disk: Uint8Array }> {
  const image = await openImage(path);
  try {
    const summary = await buildImageCatalog(image, undefined);
    return { catalog: summary.bytes!, disk: await image.disk.read(0, image.disk.size) };
  } finally {
    await image.close();
  }
}

async function vmdk(name: string, path: string): Promise<TapImage> {
  const { catalog, disk } = await postPass(path);
  return { name, stream: new Uint8Array(readFileSync(path)), disk, catalog, kind: 'vmdk' };
}

/** A raw disk written to a scratch file (a post-pass reads a finished file), from a VMDK's disk or a gzip'd image. */
async function raw(name: string, bytes: Uint8Array): Promise<TapImage> {
  const path = join(SCRATCH, `${name}.img`);
  writeFileSync(path, bytes);
  const { catalog } = await postPass(path);
  return { name, stream: bytes, disk: bytes, catalog, kind: 'raw' };
}

export async function tapImages(): Promise<TapImage[]> {
  const mbrDisk = (await postPass(join(ROOT, 'ntfs/ntfs-mbr.vmdk'))).disk;
  return [
    await vmdk('ntfs-mbr-stream.vmdk', join(ROOT, 'ntfs/ntfs-mbr-stream.vmdk')),
    await vmdk('ntfs-gpt-stream.vmdk', join(ROOT, 'ntfs/ntfs-gpt-stream.vmdk')),
    await vmdk('wof-stream.vmdk', join(ROOT, 'wof/wof-stream.vmdk')),
    await raw('ntfs-mbr', mbrDisk),
    await raw('security', new Uint8Array(gunzipSync(readFileSync(join(ROOT, 'security/security.img.gz'))))),
  ];
}
