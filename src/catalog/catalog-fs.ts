/**
 * One catalogued volume as a read-only FileSystem (src/fs/file-system.ts): listings come from the
 * catalog alone; data is read from the virtual disk through the layouts the catalog stored
 * (virtual-disk byte offsets), so a restore touches only the file's own clusters — no MFT record,
 * no directory index. `restore({ fs: new CatalogFileSystem(...) })` works unchanged.
 */
import { GrtError } from '../errors.js';
import type { EntrySecurity, FileEntry, FileSystem, FsKind, ListOptions, NameRule, StreamLayout } from '../fs/file-system.js';
import { openLayoutStream } from '../fs/layout-stream.js';
import type { GrainInflation } from '../vmdk/inflation.js';
import type { ByteSource } from '../io/byte-source.js';
import { isFsKind } from '../volume/types.js';
import type { Catalog } from './catalog.js';
import { inIndexOrder, inNameOrder } from '../fs/name-order.js';

export class CatalogFileSystem implements FileSystem {
  readonly kind: FsKind;
  readonly info: FileSystem['info'];

  /**
   * @param volume the volume's number in the catalog (chooseCatalogVolume)
   * @param disk the disks the catalog was made from as one source (catalogSourceOf(image); binding
   *   already checked); without it everything but reading data works
   * @param inflation where WOF chunks of large reads are decoded (a restore's engine's; fs/ntfs/wof.ts)
   */
  constructor(
    readonly catalog: Catalog,
    readonly volume: number,
    private readonly disk?: ByteSource,
    private readonly inflation?: GrainInflation,
  ) {
    const v = catalog.volumes.find((x) => x.index === volume);
    if (!v) {
      const known = catalog.volumes.map((x) => x.index).join(', ') || 'none';
      throw new GrtError('NOT_FOUND', `no volume ${volume} in the catalog; volumes: ${known}`, { structure: 'catalog' });
    }
    if (!isFsKind(v.fs)) throw new GrtError('UNSUPPORTED', `catalogued volume ${volume} holds ${v.fs}`, { structure: 'catalog' });
    this.kind = v.fs;
    this.info = { serial: v.serial, clusterSize: v.clusterSize, ...(v.label !== undefined ? { label: v.label } : {}) };
  }

  nameRule(): NameRule {
    return this.catalog.nameRule(this.volume);
  }

  stat(path: string): Promise<FileEntry> {
    return this.catalog.stat(this.volume, path);
  }

  async readDir(path: string, options: ListOptions = {}): Promise<FileEntry[]> {
    await this.directory(path);
    const out: FileEntry[] = [];
    for await (const entry of this.catalog.list(this.volume, path, options)) out.push(entry);
    // As the live volume sorts: code points for the 'bytes' rule; upper-cased through the volume's
    // own table (UPCASE section, §4.3; Unicode upper case in format 1.0) otherwise.
    const rule = this.nameRule();
    return rule.kind === 'bytes' ? inNameOrder(out, rule) : inIndexOrder(out, this.catalog.nameKey(this.volume));
  }

  async *walk(path: string, options: ListOptions = {}): AsyncIterable<FileEntry> {
    await this.directory(path);
    yield* this.catalog.list(this.volume, path, { ...options, recursive: true });
  }

  async streamLayout(target: string | FileEntry, streamName = ''): Promise<StreamLayout> {
    const entry = typeof target === 'string' ? await this.stat(target) : target;
    // The catalog stores no unnamed stream for a directory; say so as the live volume does.
    if (entry.type === 'dir' && streamName === '') throw new GrtError('IS_A_DIRECTORY', 'a directory has no data stream', { path: entry.path });
    return this.catalog.layout(this.volume, entry, streamName);
  }

  async openStream(target: string | FileEntry, streamName = ''): Promise<ByteSource> {
    const layout = await this.streamLayout(target, streamName);
    return openLayoutStream(this.requireDisk(typeof target === 'string' ? target : target.path), layout, this.inflation);
  }

  openLayout(layout: StreamLayout): ByteSource {
    return openLayoutStream(this.requireDisk(), layout, this.inflation);
  }

  /** The owner and group the catalog keeps (format 4.0; no DACL: it stays on the image). */
  async readSecurity(entry: FileEntry): Promise<EntrySecurity | undefined> {
    const security = this.catalog.recordOf(this.volume, entry).security;
    return security && { ...structuredClone(security), daclKept: false };
  }

  private requireDisk(path?: string): ByteSource {
    if (!this.disk) throw new GrtError('USAGE', 'an image is needed to restore data', { structure: 'catalog', ...(path === undefined ? {} : { path }) });
    return this.disk;
  }

  private async directory(path: string): Promise<void> {
    const entry = await this.stat(path);
    if (entry.type !== 'dir') throw new GrtError('NOT_A_DIRECTORY', 'not a directory', { path });
  }
}

/**
 * The catalogued volume to use, by its volume id as `--info` prints it ("1", "2:1", "vg0/root"; a
 * partition number of the first disk may be a number), or the only one; USAGE listing them otherwise.
 */
export function chooseCatalogVolume(catalog: Catalog, volume: string | number | undefined): number {
  const volumes = catalog.volumes;
  const known = volumes.map((v) => `${v.id} (${v.fs}${v.label ? ` "${v.label}"` : ''})`).join(', ') || 'none';
  if (volume !== undefined) {
    const id = String(volume);
    // By id; a bare number also names a volume by its catalog number (grt-index records those).
    const found = volumes.find((v) => v.id === id) ?? (/^\d+$/.test(id) ? volumes.find((v) => v.index === Number(id)) : undefined);
    if (!found) throw new GrtError('NOT_FOUND', `no volume ${id} in the catalog; volumes: ${known}`);
    return found.index;
  }
  if (volumes.length === 1) return volumes[0]!.index;
  throw new GrtError('USAGE', `the catalog has several volumes: ${known}; choose one with --partition ID`);
}
