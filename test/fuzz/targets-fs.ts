/** Fuzz targets above the disk: NTFS (synthetic and committed), catalogs, restores (damaged and hostile names, checked for confinement), openImage end to end. */
import { readFile, readdir, mkdir, lstat, realpath, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { MemorySource } from '../../src/io/memory-source.js';
import { openDisk } from '../../src/vmdk/disk.js';
import { openImage } from '../../src/image.js';
import { listVolumes } from '../../src/volume/list-volumes.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { buildCatalog } from '../../src/catalog/build.js';
import { openCatalog } from '../../src/catalog/catalog.js';
import { restore } from '../../src/restore/restore.js';
import type { FileSystem } from '../../src/fs/file-system.js';
import { crc32 } from '../../src/util/crc32.js';
import { arbNtfsSpec, buildNtfsVolume } from '../builders/ntfs-builder.js';
import { mutateFiles, type Rng } from './mutate.js';
import { type FuzzInput, type FuzzContext, type FuzzTarget, SECTOR, readAround } from './target-kit.js';
import { mutateWithFixup } from './targets-volume.js';

/** A synthetic NTFS volume from the builder's arbitrary, with the MFT marked for record swaps. */
export async function ntfsInput(rng: Rng): Promise<FuzzInput> {
  let built: ReturnType<typeof buildNtfsVolume> | undefined;
  // NOTE: the builder refuses some specs its arbitrary makes ("attributes do not fit in a
  // 1024-byte record"); take the next one.
  for (let attempt = 0; !built; attempt++) {
    const [spec] = fc.sample(arbNtfsSpec(), { seed: rng.u32() | 0, numRuns: 1 });
    try {
      built = buildNtfsVolume(spec!);
    } catch (error) {
      if (attempt >= 8) throw error;
    }
  }
  const mftStart = built.mftLcn * built.clusterSize;
  const count = Math.max(...built.records.values()) + 8;
  return {
    files: new Map([['ntfs.img', built.image]]),
    main: 'ntfs.img',
    hints: {
      records: { file: 'ntfs.img', start: mftStart, count, size: built.recordSize },
      regions: [{ file: 'ntfs.img', start: 0, length: SECTOR }, { file: 'ntfs.img', start: mftStart, length: count * built.recordSize }],
    },
  };
}

/** Run `fn`, turning a GrtError into a summary line (walks go on past one damaged file). */
export async function each(label: string, fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return `${label} ok`;
  } catch (error) {
    if ((error as Error)?.name === 'GrtError') return `${label} ${(error as { code: string }).code}`;
    throw error;
  }
}

/**
 * Everything a reader of a mounted file system does: walk, readDir, stat, layouts, every stream.
 * A GrtError on one entry is noted and the walk goes on, so damage deep in the tree is reached.
 */
export async function exerciseFs(fs: FileSystem, rng: Rng): Promise<string> {
  let entries = 0;
  let failures = 0;
  const dirs = ['/'];
  const note = (line: string) => void (line.endsWith(' ok') || failures++);
  for await (const entry of fs.walk('/')) {
    entries++;
    if (entry.type === 'dir') dirs.push(entry.path);
    for (const stream of ['', ...entry.streams.map((s) => s.name)]) {
      if (entry.type === 'dir' && stream === '') continue;
      note(await each('stream', async () => readAround(await fs.openStream(entry, stream), rng)));
      note(await each('layout', () => fs.streamLayout(entry, stream)));
    }
    if (rng.chance(0.2)) note(await each('stat', () => fs.stat(entry.path)));
  }
  for (const dir of dirs.slice(0, 16)) note(await each('readDir', () => fs.readDir(dir, { all: rng.chance(0.5) })));
  if (rng.chance(0.3)) {
    note(
      await each('walk deleted', async () => {
        for await (const _ of fs.walk('/', { deleted: true, all: true })) entries++;
      }),
    );
  }
  return `${entries} entries, ${failures} GrtErrors on single entries`;
}

export const ntfsTarget: FuzzTarget = {
  name: 'ntfs-synthetic',
  generate: (rng) => ntfsInput(rng),
  async run(input, _ctx, rng) {
    const fs = await openNtfs(new MemorySource(input.files.get(input.main)!, input.main), rng.chance(0.5) ? {} : { cache: { blockSize: 4096, maxBlocks: 2 } });
    return exerciseFs(fs, rng);
  },
};

export const realNtfsTarget: FuzzTarget = {
  name: 'ntfs-real',
  async generate(rng, ctx) {
    // The NTFS partition of the committed MBR image, as raw bytes (damage goes into the file system).
    const disk = await openDisk(join(ctx.root, 'test-images/ntfs', rng.pick(['ntfs-mbr.vmdk', 'ntfs-gpt-stream.vmdk'])));
    try {
      const layout = await listVolumes(disk);
      const volume = layout.volumes.find((v) => v.fs === 'ntfs')!;
      const bytes = await volume.source.read(0, volume.size);
      const view = new DataView(bytes.buffer);
      const clusterSize = view.getUint16(11, true) * bytes[13]!;
      const mftStart = Number(view.getBigUint64(0x30, true)) * clusterSize;
      return {
        files: new Map([['ntfs.img', bytes]]),
        main: 'ntfs.img',
        hints: { records: { file: 'ntfs.img', start: mftStart, count: 64, size: 1024 }, regions: [{ file: 'ntfs.img', start: mftStart, length: 64 * 1024 }] },
      };
    } finally {
      await disk.close();
    }
  },
  async run(input, _ctx, rng) {
    const fs = await openNtfs(new MemorySource(input.files.get(input.main)!, input.main));
    return exerciseFs(fs, rng);
  },
};

/** A catalog made from an undamaged synthetic volume; the damage goes into the catalog. */
/** Catalog layout (docs/catalog-format.md §1): a 16-byte preamble, then 20-byte section headers. */
export const CATALOG_PREAMBLE = 16;
export const CATALOG_SECTION_HEADER = 20;

/** Recompute each section's CRC-32 (header's first 16 bytes + stored payload), walking the damaged headers. */
export function fixCatalogChecksums(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = CATALOG_PREAMBLE; at + CATALOG_SECTION_HEADER <= bytes.length; ) {
    const stored = view.getUint32(at + 8, true);
    const end = at + CATALOG_SECTION_HEADER + stored;
    if (end > bytes.length) break;
    view.setUint32(at + 16, crc32(bytes.subarray(at + CATALOG_SECTION_HEADER, end), crc32(bytes.subarray(at, at + 16))), true);
    at = end;
  }
}

export const catalogTarget: FuzzTarget = {
  name: 'catalog',
  mutate: mutateWithFixup(fixCatalogChecksums),
  async generate(rng) {
    const input = await ntfsInput(rng);
    const fs = await openNtfs(new MemorySource(input.files.get(input.main)!));
    const size = input.files.get(input.main)!.length;
    const binding = { capacity: size, cids: [], partitions: [{ index: 1, start: 0, size, fs: 'ntfs', serial: fs.info.serial }] };
    const catalog = await buildCatalog({ binding, volumes: [{ index: 1, start: 0, fs }] });
    return { files: new Map([['image.grtcat', catalog]]), main: 'image.grtcat', hints: { regions: [{ file: 'image.grtcat', start: 0, length: 256 }] } };
  },
  async run(input) {
    const catalog = await openCatalog(input.files.get(input.main)!);
    const results: string[] = [];
    for (const volume of catalog.volumes) {
      const index = volume.index;
      results.push(
        await each('list', async () => {
          for await (const entry of catalog.list(index, '/', { recursive: true, deleted: true })) {
            await each('stat', () => catalog.stat(index, entry.path));
            for (const stream of ['', ...entry.streams.map((s) => s.name)]) await each('layout', async () => catalog.layout(index, entry, stream));
          }
        }),
        await each('find', async () => {
          for await (const _ of catalog.find(index, '**/*')) void _;
        }),
      );
    }
    return results.join(', ');
  },
};

/** Names of every file below `dir` (with its size and kind), to see what a restore touched. */
export async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string) => {
    for (const name of (await readdir(at)).sort()) {
      const path = join(at, name);
      const info = await lstat(path);
      out.push(`${relative(dir, path)} ${info.isDirectory() ? 'dir' : info.size}`);
      if (info.isDirectory()) await walk(path);
    }
  };
  await walk(dir);
  return out;
}

/**
 * Run `write` (which may only write below `target`, a new directory under `ctx.dir/out`) and throw
 * if anything else under `ctx.dir` changed, or anything below `target` resolves outside it.
 */
export async function confined<T>(ctx: FuzzContext, write: (target: string) => Promise<T>): Promise<T> {
  const outside = join(ctx.dir, 'out');
  await mkdir(join(outside, 'sentinel'), { recursive: true });
  await writeFile(join(outside, 'sentinel', 'keep.txt'), 'sentinel');
  const before = await snapshot(ctx.dir);
  const target = join(outside, 'target');
  const result = await write(target);
  const after = (await snapshot(ctx.dir)).filter((line) => !line.startsWith(`${join('out', 'target')}/`) && !line.startsWith(`${join('out', 'target')} `));
  const added = after.filter((line) => !before.includes(line));
  const removed = before.filter((line) => !after.includes(line));
  if (added.length > 0 || removed.length > 0) throw new Error(`wrote outside its target: added ${JSON.stringify(added)}, removed ${JSON.stringify(removed)}`);
  const real = await realpath(target).catch(() => target);
  for (const line of await snapshot(target).catch(() => [])) {
    const path = join(target, line.slice(0, line.lastIndexOf(' ')));
    if ((await lstat(path)).isSymbolicLink()) continue;
    const resolved = await realpath(path);
    if (!resolved.startsWith(`${real}/`)) throw new Error(`${path} resolves outside the target (${resolved})`);
  }
  return result;
}

/** Restore everything from a damaged volume: nothing may appear outside the target directory. */
export const restoreTarget: FuzzTarget = {
  name: 'restore',
  generate: (rng) => ntfsInput(rng),
  async run(input, ctx) {
    const fs = await openNtfs(new MemorySource(input.files.get(input.main)!, input.main));
    const summary = await confined(ctx, (to) => restore({ fs, paths: ['/'], to, onEvent: () => undefined }));
    return `${summary.files} files, ${summary.failed} failed`;
  },
};

/** The committed NTFS disk images through openImage (VMDK → partitions → NTFS), damage anywhere in the VMDK. */
export const imageTarget: FuzzTarget = {
  name: 'image',
  async generate(rng, ctx) {
    const name = rng.pick(['ntfs-mbr.vmdk', 'ntfs-gpt-stream.vmdk', 'ntfs-mbr-stream.vmdk']);
    const bytes = new Uint8Array(await readFile(join(ctx.root, 'test-images/ntfs', name)));
    return { files: new Map([[name, bytes]]), main: name, hints: { regions: [{ file: name, start: 0, length: 65536 }] } };
  },
  async run(input, ctx, rng) {
    const image = await openImage(join(ctx.dir, 'in', input.main), rng.chance(0.5) ? {} : { cache: { blockSize: 4096, maxBlocks: 2 } });
    try {
      return await exerciseFs(await image.openFileSystem(), rng);
    } finally {
      await image.close();
    }
  },
};

/** Names a hostile image can hold that must not leave the restore target (or break the restore). */
export const HOSTILE_NAMES = [
  '..', 'a/b', '../../escape', '..\\..\\escape', '/abs', 'CON', 'nul.txt', 'x\u0000y', 'tab\tname', 'dot.', 'space ',
  '\ud800lone', '😀'.repeat(80), 'é'.repeat(200), 'ABC', 'abc', ':stream', 'a:b',
];

/** Restore a volume whose names are hostile (and sometimes damaged too): nothing may land outside the target. */
export const restoreHostileTarget: FuzzTarget = {
  name: 'restore-hostile',
  async generate(rng) {
    const pick = () => rng.pick(HOSTILE_NAMES);
    const file = (name: string) => ({ kind: 'file' as const, name, data: rng.bytes(rng.int(0, 5000)) });
    const used = new Set<string>();
    // Names are unique per directory case-insensitively (NTFS $UpCase); a clash gets a suffix.
    const unique = (name: string) => {
      let candidate = name;
      for (let n = 2; used.has(candidate.toUpperCase()); n++) candidate = `${name}~${n}`;
      used.add(candidate.toUpperCase());
      return candidate;
    };
    const children = Array.from({ length: rng.int(2, 6) }, () => file(unique(pick())));
    const sub = { kind: 'dir' as const, name: unique(pick()), children: Array.from({ length: rng.int(1, 3) }, () => file(`${pick()}-${rng.below(1000)}`)) };
    const built = buildNtfsVolume({ root: { kind: 'dir', name: '', children: [...children, sub] } });
    const mftStart = built.mftLcn * built.clusterSize;
    return { files: new Map([['ntfs.img', built.image]]), main: 'ntfs.img', hints: { regions: [{ file: 'ntfs.img', start: mftStart, length: 64 * built.recordSize }] } };
  },
  mutate: (input, rng) => (rng.chance(0.5) ? mutateFiles(input.files, rng, input.hints) : { files: input.files, log: ['(names only)'] }),
  run: (input, ctx, rng) => restoreTarget.run(input, ctx, rng),
};
