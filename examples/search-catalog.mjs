// Open a catalog alone (no image needed) and find files in it.
//   node examples/search-catalog.mjs CATALOG GLOB
import { openCatalog } from 'grt';

const [catalogPath, glob] = process.argv.slice(2);
const catalog = await openCatalog(catalogPath);
for (const volume of catalog.volumes) {
  // A glob without '/' matches names anywhere; with '/', whole paths. Case-insensitive, as NTFS.
  for await (const entry of catalog.find(volume.index, glob)) console.log(`${volume.index}:${entry.path} ${entry.size}`);
}
