/** The file catalog made at backup time: build it once, list, search and restore from it later. */
export { buildCatalog, writeCatalog, CHUNK_ENTRIES, type CatalogInput, type BuildOptions } from './build.js';
export { openCatalog, Catalog, type CatalogFolder, type CatalogListOptions, type CatalogOpenOptions } from './catalog.js';
export { checkBinding, type CatalogBinding, type CatalogBoundVolume, type CatalogDisk, type CatalogPartition, type CatalogVolume } from './binding.js';
export { compileGlob, type CompiledGlob } from '../util/glob.js';
export { toNdjson, toBodyfile, type ExportOptions } from './export.js';
export { CatalogFileSystem, chooseCatalogVolume } from './catalog-fs.js';
export { buildImageCatalog, catalogBindingOf, catalogSourceOf, mountVolumes, openImageCatalog, serialsOf, type ImageCatalogSummary, type MountedVolumes } from './for-image.js';
export { CatalogTap, DEFAULT_MAX_KEPT_BYTES, type CatalogTapOptions, type ReadBack, type TapFinishOptions, type TapSummary, type ByteRange } from './tap/index.js';
