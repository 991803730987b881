/** The local file opener, counting the files it opens and closes and the bytes `read` returns. */
import { localFileOpener } from '../../src/io/local-opener.js';
import type { SourceOpener } from '../../src/io/source-opener.js';

export interface CountingOpener extends SourceOpener {
  counts: { opened: number; closed: number; bytesRead: number };
}

export function countingOpener(): CountingOpener {
  const counts = { opened: 0, closed: 0, bytesRead: 0 };
  return {
    counts,
    inFolder: localFileOpener.inFolder.bind(localFileOpener),
    original: localFileOpener.original.bind(localFileOpener),
    place: localFileOpener.place.bind(localFileOpener),
    async open(location: string) {
      counts.opened++;
      const source = await localFileOpener.open(location);
      const close = source.close.bind(source);
      const read = source.read.bind(source);
      // readInto left out: every read goes through `read`, so each byte is counted.
      return Object.assign(source, { close: async () => (counts.closed++, close()), read: async (offset: number, length: number) => ((counts.bytesRead += length), read(offset, length)), readInto: undefined });
    },
  };
}
