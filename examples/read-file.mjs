// Read the bytes of one file (or one of its alternate data streams) without restoring it.
//   node examples/read-file.mjs IMAGE PATH [STREAM]
import { openImage, isGrtError } from 'grt';

const [imagePath, filePath, streamName = ''] = process.argv.slice(2);
const image = await openImage(imagePath);
try {
  const fs = await image.openFileSystem();
  const source = await fs.openStream(filePath, streamName); // a ByteSource: size + read(offset, length)
  try {
    const bytes = await source.read(0, Math.min(source.size, 4096)); // at most the first 4 KiB here
    console.log(`${filePath}: ${source.size} bytes`);
    console.log(new TextDecoder().decode(bytes));
  } finally {
    await source.close?.();
  }
} catch (error) {
  // Every failure grt means is a GrtError: a stable code, and a one-line message.
  if (!isGrtError(error)) throw error;
  console.error(`${error.code}: ${error.message}`);
  process.exitCode = 2;
} finally {
  await image.close();
}
