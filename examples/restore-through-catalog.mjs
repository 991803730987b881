// Restore files found through a catalog: the catalog says where their data is on the disk, so no
// file-system metadata is read from the image (only the files' own blocks).
//   node examples/restore-through-catalog.mjs IMAGE CATALOG OUTDIR PATH...
import { openImage, restore } from 'grt';
import { CatalogFileSystem, chooseCatalogVolume, openImageCatalog } from 'grt/catalog';

const [imagePath, catalogPath, outDir, ...paths] = process.argv.slice(2);
const image = await openImage(imagePath);
try {
  // With the image, the catalog is checked to be this image's (CATALOG_MISMATCH otherwise).
  const catalog = await openImageCatalog(catalogPath, image);
  const fs = new CatalogFileSystem(catalog, chooseCatalogVolume(catalog, undefined), image.disk);
  const summary = await restore({
    fs,
    paths, // paths, PATH:stream, or globs (* ? **)
    to: outDir, // created if missing; existing files are left alone ('never') unless overwrite says otherwise
    overwrite: 'never',
    onEvent: (event) => {
      if (event.type === 'file') console.log(`restored ${event.path} -> ${event.target} (${event.bytes} bytes)`);
      else if (event.type === 'failure' || event.type === 'warning') console.log(`${event.type}: ${event.path}: ${event.code}: ${event.message}`);
    },
  });
  console.log(`${summary.files} restored, ${summary.failed} failed`);
  if (summary.failed > 0) process.exitCode = 1;
} finally {
  await image.close();
}
