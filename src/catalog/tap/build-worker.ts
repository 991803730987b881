/**
 * The tap's build worker (early-build.ts starts it): the catalog built from the kept bytes in a
 * thread of its own, while the rest of the stream still passes the tap in the calling thread.
 *
 * It builds the volume sections as soon as it starts, over the disk as known then (a raw stream's
 * length is known only at its end: until then the disk is as large as a disk may be). At 'finish'
 * it lists the volumes again over the disk as it is: the same volumes (place, size, kind) read the
 * same bytes, so the sections stand and only the head and END are added (for-image.ts
 * finishImageCatalog); other volumes (a partitionless disk, whose one volume is the whole disk)
 * are built again from the start, as a post-pass would.
 *
 * A read of bytes not kept asks the calling thread ('need') and waits until it answers that they
 * are kept (forwarded as 'bytes'), passed, or read back ('settled'); what is not kept by then reads
 * as zeros, as in the post-pass over the tap's bytes (tap-disk.ts).
 */
import { parentPort } from 'node:worker_threads';
import { imageOfDisks, type Image } from '../../image.js';
import type { DiskInfo } from '../../vmdk/disk.js';
import type { Volume } from '../../volume/types.js';
import { buildImageCatalog, buildImageSections, finishImageCatalog, type ImageSections } from '../for-image.js';
import type { BuildOptions } from '../build.js';
import { KeptBytes } from './kept-bytes.js';
import type { ByteRange } from './ranges.js';
import { TapDisk } from './tap-disk.js';
import { errorFields, type FromBuildWorker, type ToBuildWorker } from './worker-messages.js';

/** The build on the disk as known at the start: its image, and the sections or the error they gave. */
interface Speculation {
  image: Image;
  built?: ImageSections;
  error?: unknown;
}

class BuildWorker {
  private kept: KeptBytes | undefined;
  private readonly waiting = new Map<number, () => void>();
  private nextNeed = 0;
  private speculation: Promise<Speculation> | undefined;
  private readonly options: BuildOptions = { onProgress: (progress) => this.post({ type: 'progress', progress }) };

  constructor(private readonly post: (message: FromBuildWorker) => void) {}

  async receive(message: ToBuildWorker): Promise<void> {
    switch (message.type) {
      case 'start':
        this.kept = KeptBytes.adopt(message.pages, message.limitBytes);
        this.speculation = this.speculate(message.info);
        return;
      case 'bytes':
        this.kept!.store(message.diskOffset, message.bytes);
        return;
      case 'settled':
        this.waiting.get(message.id)?.();
        this.waiting.delete(message.id);
        return;
      case 'finish':
        return this.finish(message.info, message.path);
    }
  }

  /** A read's gap: ask for it, and wait until the calling thread says it is settled. */
  private need = (gap: ByteRange): Promise<void> =>
    new Promise((resolve) => {
      const id = this.nextNeed++;
      this.waiting.set(id, resolve);
      this.post({ type: 'need', id, start: gap.start, end: gap.end });
    });

  private disk(info: DiskInfo): TapDisk {
    return new TapDisk(this.kept!, info, this.need);
  }

  private async speculate(info: DiskInfo): Promise<Speculation> {
    const image = await imageOfDisks([this.disk(info)]);
    try {
      return { image, built: await buildImageSections(image, this.options) };
    } catch (error) {
      return { image, error };
    }
  }

  private async finish(info: DiskInfo, path: string | undefined): Promise<void> {
    const speculation = await this.speculation!;
    await speculation.image.close();
    const image = await imageOfDisks([this.disk(info)]);
    try {
      let summary;
      if (!sameVolumes(speculation.image.layout.volumes, image.layout.volumes)) summary = await buildImageCatalog(image, path, this.options);
      else if (speculation.built) summary = await finishImageCatalog(image, speculation.built, path);
      else throw speculation.error;
      this.post({ type: 'done', summary, keptBytes: this.kept!.bytes });
    } finally {
      await image.close();
    }
  }
}

/** Whether two layouts list the same volumes: number, place, size, kind (a volume's bytes are then the same). */
function sameVolumes(a: readonly Volume[], b: readonly Volume[]): boolean {
  const shape = (volumes: readonly Volume[]) => JSON.stringify(volumes.map(({ source: _source, ...rest }) => rest));
  return shape(a) === shape(b);
}

const port = parentPort;
if (port) {
  const worker = new BuildWorker((message) => {
    const transfer = message.type === 'done' && message.summary.bytes ? [message.summary.bytes.buffer as ArrayBuffer] : [];
    port.postMessage(message, transfer);
  });
  port.on('message', (message: ToBuildWorker) => {
    worker.receive(message).catch((error: unknown) => port.postMessage({ type: 'failed', error: errorFields(error) } satisfies FromBuildWorker));
  });
}
