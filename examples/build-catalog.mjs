// Build a catalog of every readable volume of an image (at backup time), to list and search later
// without the image.
//   node examples/build-catalog.mjs IMAGE CATALOG
import { openImage } from 'grt';
import { buildImageCatalog } from 'grt/catalog';

const [imagePath, catalogPath] = process.argv.slice(2);
const image = await openImage(imagePath);
try {
  // Written to CATALOG.partial and renamed when complete.
  const summary = await buildImageCatalog(image, catalogPath);
  for (const volume of summary.volumes) console.log(`volume ${volume.index} (${volume.fs}): ${volume.entries} entries`);
  for (const warning of summary.warnings) console.log(`warning: ${warning.message}`);
} finally {
  await image.close();
}
