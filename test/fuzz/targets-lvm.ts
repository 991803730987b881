/**
 * Fuzz targets for LVM2: synthetic VGs over two PVs (random linear and striped LVs, some of other
 * segment types), damaged as bytes with the label, mda_header and metadata-text CRCs mostly
 * recomputed so the damage is believed, or damaged as metadata text (unbalanced braces, huge
 * counts, segments past the PV, stripe counts of 0 or 2^31, names repeated) and written back with
 * right CRCs. The run assembles the VG, reads every LV that opens, then reads pv0's label and
 * metadata strictly (the assembly's warnings are GrtErrors there).
 */
import { MemorySource } from '../../src/io/memory-source.js';
import { assembleLogicalVolumes } from '../../src/volume/lvm/assemble.js';
import { lvmCrc, readPvLabel } from '../../src/volume/lvm/label.js';
import { readMetadataArea } from '../../src/volume/lvm/metadata-area.js';
import { parseVgMetadata } from '../../src/volume/lvm/metadata.js';
import { writePv, writeMda, vgText, MIB, type LvSpec } from '../lvm/pv-writer.js';
import { mutateFiles, mutateText, type Files, type Rng } from './mutate.js';
import { readAround, type FuzzTarget } from './target-kit.js';

const EXTENT_SECTORS = 8;
const PE_COUNT = 16;
const PV_SIZE = MIB + PE_COUNT * EXTENT_SECTORS * 512;
const UUIDS = ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'];
const MDA = { offset: 4096, size: MIB - 4096 };

function randomLvs(rng: Rng): LvSpec[] {
  const lvs: LvSpec[] = [];
  for (let i = 0; i < rng.int(1, 4); i++) {
    const segments: LvSpec['segments'] = [];
    let start = 0;
    for (let s = 0; s < rng.int(1, 3); s++) {
      const stripes = rng.int(1, 2);
      const perStripe = rng.int(1, 4);
      const type = rng.chance(0.1) ? rng.pick(['thin', 'raid1', 'snapshot', 'cache']) : 'striped';
      segments.push({ startExtent: start, extentCount: perStripe * stripes, stripeSize: rng.pick([1, 2, 8]), type, stripes: Array.from({ length: stripes }, (_, k) => [`pv${(s + k) % 2}`, rng.int(0, PE_COUNT - perStripe)] as [string, number]) });
      start += perStripe * stripes;
    }
    lvs.push({ name: `lv${i}`, segments: rng.chance(0.5) ? segments.reverse() : segments });
  }
  return lvs;
}

/** The text of the first raw_locn of the PV's metadata area, or undefined when it is not where the writer put it. */
function readText(pv: Uint8Array): string | undefined {
  if (pv.length < MDA.offset + 512) return undefined;
  const view = new DataView(pv.buffer, pv.byteOffset, pv.byteLength);
  const offset = Number(view.getBigUint64(MDA.offset + 40, true));
  const size = Number(view.getBigUint64(MDA.offset + 48, true));
  if (offset !== 512 || size < 1 || size > 64 * 1024) return undefined;
  return new TextDecoder().decode(pv.subarray(MDA.offset + offset, MDA.offset + offset + size - 1));
}

/** Recompute the label, header and text CRCs where the fields locating them still make sense. */
function fixLvmChecksums(pv: Uint8Array): void {
  const view = new DataView(pv.buffer, pv.byteOffset, pv.byteLength);
  for (let sector = 0; sector < 4; sector++) {
    const at = sector * 512;
    if (new TextDecoder().decode(pv.subarray(at, at + 8)) === 'LABELONE') view.setUint32(at + 16, lvmCrc(pv.subarray(at + 20, at + 512)), true);
  }
  // Damage may truncate the file: recompute only what is still there.
  if (pv.length < MDA.offset + 512) return;
  const offset = view.getBigUint64(MDA.offset + 40, true);
  const size = view.getBigUint64(MDA.offset + 48, true);
  if (offset + size <= BigInt(pv.length - MDA.offset) && offset >= 512n && size <= 64n * 1024n && offset + size <= BigInt(MDA.size)) {
    view.setUint32(MDA.offset + 56, lvmCrc(pv.subarray(MDA.offset + Number(offset), MDA.offset + Number(offset + size))), true);
  }
  view.setUint32(MDA.offset, lvmCrc(pv.subarray(MDA.offset + 4, MDA.offset + 512)), true);
}

/** Text damage LVM metadata invites, then the usual line-level damage. */
function damageText(text: string, rng: Rng): { text: string; log: string[] } {
  const edits: [RegExp, string][] = [
    [/stripe_count = \d+/, `stripe_count = ${rng.pick(['0', '2147483648', '129', '-1'])}`],
    [/extent_count = \d+/, `extent_count = ${rng.pick(['0', '9007199254740993', '99999999'])}`],
    [/\[/, '[' + '1, '.repeat(rng.int(1, 70000))],
    [/\}/, ''],
    [/\{/, '{ {'],
    [/lv1 \{/, 'lv0 {'],
    [/"pv1", \d+/, `"pv1", ${rng.pick([15, 16, 2 ** 40])}`],
    [/extent_size = \d+/, `extent_size = ${rng.pick(['0', '1', '4294967296'])}`],
  ];
  const [pattern, replacement] = rng.pick(edits);
  let damaged = text.replace(pattern, replacement);
  const log = [`${pattern} -> ${replacement.slice(0, 40)}`];
  if (rng.chance(0.3)) {
    const more = mutateText(damaged, rng);
    damaged = more.text;
    log.push(...more.log);
  }
  return { text: damaged, log };
}

export const lvmTarget: FuzzTarget = {
  name: 'lvm-synthetic',
  async generate(rng) {
    const pvs = UUIDS.map((rawUuid, i) => ({ key: `pv${i}`, rawUuid, peStart: 2048, peCount: PE_COUNT }));
    const text = vgText({ name: 'vg', seqno: rng.int(1, 5), extentSize: EXTENT_SECTORS, pvs, lvs: randomLvs(rng) });
    const files: Files = new Map(UUIDS.map((rawUuid, i) => [`pv${i}.img`, writePv({ rawUuid, size: PV_SIZE }, text)]));
    const regions = [...files.keys()].flatMap((file) => [{ file, start: 512, length: 512 }, { file, start: MDA.offset, length: 512 + text.length }]);
    return { files, main: 'pv0.img', hints: { regions } };
  },
  mutate(input, rng) {
    if (rng.chance(0.5)) {
      const file = rng.pick(['pv0.img', 'pv1.img']);
      const pv = input.files.get(file)!.slice();
      const damaged = damageText(readText(pv) ?? '', rng);
      const bytes = new TextEncoder().encode(damaged.text + '\0');
      if (bytes.length < MDA.size - 512 && pv.length >= MDA.offset + MDA.size) writeMda(pv, MDA.offset, MDA.size, bytes, 512);
      return { files: new Map([...input.files, [file, pv]]), log: [`text of ${file}:`, ...damaged.log] };
    }
    const damaged = mutateFiles(input.files, rng, input.hints);
    if (rng.chance(0.8)) {
      for (const bytes of damaged.files.values()) fixLvmChecksums(bytes);
      damaged.log.push('checksums recomputed');
    }
    return damaged;
  },
  async run(input, _ctx, rng) {
    const inputs = [...input.files].map(([id, bytes]) => ({ id, source: new MemorySource(bytes, id) }));
    const result = await assembleLogicalVolumes(inputs);
    let read = 0;
    for (const lv of result.volumes) {
      if (lv.source) {
        await readAround(lv.source, rng);
        read++;
      }
    }
    // Then the strict path on pv0, which the assembly turns into warnings: damage ends in its GrtError.
    const pv0 = inputs[0]!.source;
    const label = await readPvLabel(pv0);
    for (const area of label?.metadataAreas ?? []) {
      const copy = await readMetadataArea(pv0, area);
      if (copy) parseVgMetadata(copy.text);
    }
    return `${result.groups.length} VGs, ${result.volumes.length} LVs (${read} read), ${result.warnings.length} warnings`;
  },
};
