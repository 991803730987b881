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
import type { CatalogBinding } from './binding.js';
import { buildCatalog, writeCatalog, type BuildOptions, type CatalogInput } from './build.js';
import { openCatalog, type Catalog } from './catalog.js';

/** The volumes of an image that mounted, and why the others did not. */
export interface MountedVolumes {
  volumes: CatalogInput['volumes'];
  /** Volumes with a file system grt reads that failed to mount (damage), as warnings. */
  warnings: GrtWarning[];
}

/** Mount every volume with a file system grt can read; unreadable kinds are left out silently. */
export async function mountVolumes(image: Image): Promise<MountedVolumes> {
  const volumes: CatalogInput['volumes'] = [];
  const warnings: GrtWarning[] = [];
  for (const v of image.layout.volumes) {
    if (!isOnFirstDisk(v)) {
      warnings.push({ code: 'UNSUPPORTED', message: `volume ${v.id}: catalogs hold only the first disk's partitions yet (not other disks' or LVM2 logical volumes); left out` });
      continue;
    }
    let fs: FileSystem;
    try {
      fs = await image.openFileSystem(v.index);
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      // UNSUPPORTED: a file system grt has no reader for (FAT, swap, ...): nothing to catalogue.
      if (error.code !== 'UNSUPPORTED') warnings.push({ ...warningFrom(error), message: `volume ${v.index}: ${error.message}` });
      continue;
    }
    // What the volume noticed while mounting (a backup boot sector used, a log not replayed, ...).
    for (const w of fs.warnings ?? []) warnings.push({ ...w, message: `volume ${v.index}: ${w.message}` });
    volumes.push({ index: v.index, start: v.start, fs });
  }
  return { volumes, warnings };
}

/** Serial numbers by partition index, of mounted volumes. */
export function serialsOf(mounted: CatalogInput['volumes']): Map<number, string> {
  return new Map(mounted.map((v) => [v.index, v.fs.info.serial]));
}

/**
 * What ties a catalog to this image: capacity, chain CIDs (child first) and partitions, with the
 * serial number of each volume in `serials` (serialsOf(mounted volumes)).
 */
export function catalogBindingOf(image: Image, serials: ReadonlyMap<number, string> = new Map()): CatalogBinding {
  const info = image.disk.info;
  return {
    capacity: info.capacity,
    cids: info.chain.some((link) => link.cid !== undefined) ? info.chain.map((link) => link.cid ?? '') : [],
    partitions: image.layout.volumes.filter(isOnFirstDisk).map((v) => {
      const serial = serials.get(v.index);
      return { index: v.index, start: v.start, size: v.size, fs: v.fs, ...(serial !== undefined ? { serial } : {}) };
    }),
  };
}

export interface ImageCatalogSummary {
  binding: CatalogBinding;
  volumes: { index: number; entries: number; fs: string; serial: string; label?: string }[];
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
  const { volumes, warnings } = await mountVolumes(image);
  if (volumes.length === 0) {
    const first = warnings[0];
    throw new GrtError(first ? 'NOT_FOUND' : 'UNSUPPORTED', first ? `no volume could be read: ${first.message}` : 'no file system grt can read on this disk', { structure: 'catalog' });
  }
  const binding = catalogBindingOf(image, serialsOf(volumes));
  const entries = new Map<number, number>();
  const build: BuildOptions = {
    onProgress: (p) => {
      entries.set(p.volume, p.entries);
      options.onProgress?.(p);
    },
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const input = { binding, volumes };
  const summary: ImageCatalogSummary = {
    binding,
    warnings,
    volumes: volumes.map((v) => ({ index: v.index, entries: 0, fs: v.fs.kind, serial: v.fs.info.serial, ...(v.fs.info.label !== undefined ? { label: v.fs.info.label } : {}) })),
  };
  if (path === undefined) summary.bytes = await buildCatalog(input, build);
  else await writeCatalog(path, input, build);
  for (const v of summary.volumes) v.entries = entries.get(v.index) ?? 0;
  return summary;
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
    const catalogued = new Set(opened.volumes.map((v) => v.index));
    const serials = new Map<number, string>();
    for (const v of image.layout.volumes) {
      if (!catalogued.has(v.index)) continue;
      // Read without mounting (fs/registry.ts readSerial): a few hundred bytes per volume.
      const reader = await readerFor(v.fs);
      if (!reader?.readSerial) continue;
      try {
        serials.set(v.index, await reader.readSerial(v.source));
      } catch (error) {
        if (!(error instanceof GrtError)) throw error;
        // A damaged boot sector: the volume is compared by place, size and kind only.
      }
    }
    opened.checkBinding(catalogBindingOf(image, serials));
  }
  return opened;
}
