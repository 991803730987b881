/**
 * Catalogs of whole images (docs/catalog-format.md §4): the binding of an opened image, a catalog
 * of every volume grt can read, and opening a catalog for use with an image after checking that
 * it was made from that image.
 */
import { GrtError, warningFrom, type GrtWarning } from '../errors.js';
import type { FileSystem } from '../fs/file-system.js';
import { readerFor } from '../fs/registry.js';
import type { Image } from '../image.js';
import { isOnFirstDisk } from '../volume/disk-set.js';
import type { ByteSource } from '../io/byte-source.js';
import type { Volume } from '../volume/types.js';
import type { CatalogBinding, CatalogDisk } from './binding.js';
import { diskBases, diskSetSource, mapThroughSegments } from './disk-space.js';
import { buildCatalog, buildVolumeSections, writeCatalog, type BuildOptions, type CatalogInput, type VolumeSections } from './build.js';
import { catalogHead, endSection, writeCatalogFile } from './catalog-file.js';
import { concatBytes } from '../util/concat-bytes.js';
import { openCatalog, type Catalog } from './catalog.js';

/** The volumes of an image that mounted, and why the others did not. */
export interface MountedVolumes {
  volumes: CatalogInput['volumes'];
  /** Volumes with a file system grt reads that failed to mount (damage), as warnings. */
  warnings: GrtWarning[];
}

/**
 * Catalog volume numbers past the first disk's partitions start here: partition numbers stay far
 * below (a table of 4096 entries at most), so a number says which kind of volume it is.
 */
const OTHER_VOLUME_BASE = 1 << 16;

/** A volume's number in a catalog: its partition number on the first disk, else past OTHER_VOLUME_BASE in layout order. */
function volumeNumbers(image: Image): Map<Volume, number> {
  const numbers = new Map<Volume, number>();
  let other = OTHER_VOLUME_BASE;
  for (const v of image.layout.volumes) numbers.set(v, isOnFirstDisk(v) ? v.index : other++);
  return numbers;
}

/** The disks of `image` as the one address space its catalogs' layouts point into (disk-space.ts). */
export function catalogSourceOf(image: Image): ByteSource {
  return diskSetSource(image.disks ?? [image.disk]);
}

/**
 * Where a volume's layouts go in the disk set: a shift for a partition or whole disk, the LV's
 * segments for a logical volume; undefined for an LV without a mapping.
 */
function placementOf(v: Volume, bases: readonly number[]): Pick<CatalogInput['volumes'][number], 'start' | 'place'> | undefined {
  if (v.segmentTypes === undefined) return { start: bases[(v.disk ?? 1) - 1]! + v.start };
  const segments = v.diskSegments;
  return segments === undefined ? undefined : { start: 0, place: (layout) => mapThroughSegments(layout, segments, bases) };
}

/** Mount every volume with a file system grt can read, of every disk and LV; unreadable kinds are left out silently. */
export async function mountVolumes(image: Image): Promise<MountedVolumes> {
  const volumes: CatalogInput['volumes'] = [];
  const warnings: GrtWarning[] = [];
  const numbers = volumeNumbers(image);
  const bases = diskBases((image.disks ?? [image.disk]).map((d) => d.size));
  for (const v of image.layout.volumes) {
    const placement = placementOf(v, bases);
    let fs: FileSystem;
    try {
      if (!placement) throw new GrtError('UNSUPPORTED', 'logical volume without a mapping to its disks');
      fs = await image.openFileSystem(v.id);
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      // UNSUPPORTED: a file system grt has no reader for (FAT, swap, ...) or an LV it cannot read.
      if (error.code !== 'UNSUPPORTED') warnings.push({ ...warningFrom(error), message: `volume ${v.id}: ${error.message}` });
      continue;
    }
    // What the volume noticed while mounting (a backup boot sector used, a log not replayed, ...).
    for (const w of fs.warnings ?? []) warnings.push({ ...w, message: `volume ${v.id}: ${w.message}` });
    volumes.push({ index: numbers.get(v)!, id: v.id, ...placement!, fs });
  }
  return { volumes, warnings };
}

/** Serial numbers by volume id, of mounted volumes. */
export function serialsOf(mounted: CatalogInput['volumes']): Map<string, string> {
  return new Map(mounted.map((v) => [v.id ?? String(v.index), v.fs.info.serial]));
}

/** Capacity and chain CIDs (child first) of one disk. */
function diskBinding(disk: Image['disk']): CatalogDisk {
  const info = disk.info;
  return { capacity: info.capacity, cids: info.chain.some((link) => link.cid !== undefined) ? info.chain.map((link) => link.cid ?? '') : [] };
}

/**
 * What ties a catalog to this image: every disk's capacity and chain CIDs, the first disk's
 * partitions, and every other volume (other disks' partitions, LVs with their segments), with the
 * serial number of each volume in `serials` (serialsOf(mounted volumes), by volume id).
 */
export function catalogBindingOf(image: Image, serials: ReadonlyMap<string, string> = new Map()): CatalogBinding {
  const serialOf = (v: Volume) => {
    const serial = serials.get(v.id);
    return serial !== undefined ? { serial } : {};
  };
  const numbers = volumeNumbers(image);
  const binding: CatalogBinding = {
    ...diskBinding(image.disk),
    partitions: image.layout.volumes.filter(isOnFirstDisk).map((v) => ({ index: v.index, start: v.start, size: v.size, fs: v.fs, ...serialOf(v) })),
  };
  const disks = (image.disks ?? [image.disk]).slice(1).map(diskBinding);
  const others = image.layout.volumes.filter((v) => !isOnFirstDisk(v));
  if (disks.length > 0 || others.length > 0) {
    binding.disks = disks;
    binding.volumes = others.map((v) => ({
      id: v.id,
      number: numbers.get(v)!,
      disk: v.segmentTypes === undefined ? (v.disk ?? 1) : 0,
      start: v.segmentTypes === undefined ? v.start : 0,
      size: v.size,
      fs: v.fs,
      ...serialOf(v),
      segments: v.diskSegments ?? [],
    }));
  }
  return binding;
}

export interface ImageCatalogSummary {
  binding: CatalogBinding;
  volumes: { index: number; id: string; entries: number; fs: string; serial: string; label?: string }[];
  warnings: GrtWarning[];
  /** The catalog, when no path was given. */
  bytes?: Uint8Array;
}

/**
 * A catalog of every readable volume of `image`, written to `path` (streamed, renamed into place
 * when complete) or returned as bytes. NOT_FOUND when the image has no volume grt can read.
 */
export async function buildImageCatalog(image: Image, path: string | undefined, options: BuildOptions = {}): Promise<ImageCatalogSummary> {
  if (typeof (image as Partial<Image> | null)?.openFileSystem !== 'function' || (path !== undefined && typeof path !== 'string')) {
    throw new GrtError('USAGE', 'buildImageCatalog(image, path) takes an image from openImage() and the catalog file to write (or undefined for bytes)');
  }
  const { volumes, warnings } = await mountForCatalog(image);
  const binding = catalogBindingOf(image, serialsOf(volumes));
  const entries = new Map<number, number>();
  const input = { binding, volumes };
  const build = volumeProgress(volumes, options, entries);
  const bytes = path === undefined ? await buildCatalog(input, build) : (await writeCatalog(path, input, build), undefined);
  return summaryOf(binding, { volumes, warnings }, entries, bytes);
}

/** The volume sections of an image's catalog, built before its binding is known (catalog/tap). */
export interface ImageSections {
  mounted: MountedVolumes;
  sections: VolumeSections;
  /** Entries by volume number. */
  entries: Map<number, number>;
}

/** buildImageCatalog's volume sections, kept in memory; finishImageCatalog adds the binding. */
export async function buildImageSections(image: Image, options: BuildOptions = {}): Promise<ImageSections> {
  const mounted = await mountForCatalog(image);
  const entries = new Map<number, number>();
  const sections = await buildVolumeSections(mounted.volumes, volumeProgress(mounted.volumes, options, entries));
  return { mounted, sections, entries };
}

/**
 * The catalog of `built` bound to `image` (whose layout must hold the volumes `built` was made
 * from), written to `path` or returned as bytes: the bytes buildImageCatalog(image) gives.
 */
export async function finishImageCatalog(image: Image, built: ImageSections, path: string | undefined): Promise<ImageCatalogSummary> {
  const binding = catalogBindingOf(image, serialsOf(built.mounted.volumes));
  const head = catalogHead(binding);
  const parts = [head, ...built.sections.sections, endSection(built.sections, head.length)];
  if (path !== undefined) {
    await writeCatalogFile(path, async (sink) => {
      for (const part of parts) await sink(part);
    });
  }
  return summaryOf(binding, built.mounted, built.entries, path === undefined ? concatBytes(parts) : undefined);
}

/** The mounted volumes of `image`; NOT_FOUND (damage) or UNSUPPORTED (nothing grt reads) when none. */
async function mountForCatalog(image: Image): Promise<MountedVolumes> {
  const mounted = await mountVolumes(image);
  if (mounted.volumes.length === 0) {
    const first = mounted.warnings[0];
    throw new GrtError(first ? 'NOT_FOUND' : 'UNSUPPORTED', first ? `no volume could be read: ${first.message}` : 'no file system grt can read on this disk', { structure: 'catalog' });
  }
  return mounted;
}

/** Build options that note each volume's entries in `entries` and report progress with the volume's id. */
function volumeProgress(volumes: CatalogInput['volumes'], options: BuildOptions, entries: Map<number, number>): BuildOptions {
  return {
    onProgress: (p) => {
      entries.set(p.volume, p.entries);
      // With the volume's id, as messages name volumes ("vg0/root" rather than its number).
      options.onProgress?.({ ...p, id: volumes.find((v) => v.index === p.volume)?.id ?? String(p.volume) });
    },
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

function summaryOf(binding: CatalogBinding, { volumes, warnings }: MountedVolumes, entries: ReadonlyMap<number, number>, bytes: Uint8Array | undefined): ImageCatalogSummary {
  return {
    binding,
    warnings,
    volumes: volumes.map((v) => ({ index: v.index, id: v.id ?? String(v.index), entries: entries.get(v.index) ?? 0, fs: v.fs.kind, serial: v.fs.info.serial, ...(v.fs.info.label !== undefined ? { label: v.fs.info.label } : {}) })),
    ...(bytes ? { bytes } : {}),
  };
}

/**
 * Open a catalog (a path, bytes or an opened one). With `image`, first check that the catalog was
 * made from it: CATALOG_MISMATCH with a one-line reason otherwise (disk offsets in the catalog
 * would read another disk's bytes).
 */
export async function openImageCatalog(catalog: string | Uint8Array | Catalog, image?: Image): Promise<Catalog> {
  const opened = typeof catalog === 'string' || catalog instanceof Uint8Array ? await openCatalog(catalog) : catalog;
  if (image) {
    // Serials only of the catalogued volumes.
    const catalogued = new Set(opened.volumes.map((v) => v.id));
    const serials = new Map<string, string>();
    for (const v of image.layout.volumes) {
      if (!catalogued.has(v.id)) continue;
      // Read without mounting (fs/registry.ts readSerial): a few hundred bytes per volume.
      const reader = await readerFor(v.fs);
      if (!reader?.readSerial) continue;
      try {
        serials.set(v.id, await reader.readSerial(v.source));
      } catch (error) {
        if (!(error instanceof GrtError)) throw error;
        // A damaged boot sector: the volume is compared by place, size and kind only.
      }
    }
    opened.checkBinding(catalogBindingOf(image, serials));
  }
  return opened;
}
