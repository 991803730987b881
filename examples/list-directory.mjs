// List one directory of the file system inside a backup image.
//   node examples/list-directory.mjs IMAGE [PATH]        (after `npm run build`)
import { openImage } from 'grt';

const [imagePath, dirPath = '/'] = process.argv.slice(2);
const image = await openImage(imagePath); // a .vmdk (any kind, snapshot chains too) or a raw disk
try {
  const fs = await image.openFileSystem(); // the only readable volume; openFileSystem(n) picks partition n
  for (const entry of await fs.readDir(dirPath)) {
    // size in bytes; times are FILETIME bigints (100 ns since 1601), kept exact
    console.log(`${entry.type.padEnd(8)} ${String(entry.size).padStart(10)}  ${entry.name}`);
  }
} finally {
  await image.close();
}
