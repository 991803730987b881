/**
 * Test-side writers of SIDs, ACLs and self-relative security descriptors ([MS-DTYP] 2.4.2.2,
 * 2.4.5, 2.4.6), written from the specification, not from grt's parser.
 */
export interface AceSpec { type: number; flags: number; mask: number; sid: SidSpec }
export interface SidSpec { authority: number; subs: number[] }

export function sidText(s: SidSpec): string {
  const authority = s.authority < 2 ** 32 ? `${s.authority}` : `0x${s.authority.toString(16).toUpperCase().padStart(12, '0')}`;
  return `S-1-${authority}${s.subs.map((x) => `-${x}`).join('')}`;
}

export function sidBytes(s: SidSpec): Uint8Array {
  const out = new Uint8Array(8 + 4 * s.subs.length);
  const view = new DataView(out.buffer);
  out[0] = 1;
  out[1] = s.subs.length;
  view.setUint16(2, Math.floor(s.authority / 2 ** 32));
  view.setUint32(4, s.authority % 2 ** 32);
  s.subs.forEach((x, i) => view.setUint32(8 + 4 * i, x, true));
  return out;
}

export function aclBytes(aces: AceSpec[]): Uint8Array {
  const bodies = aces.map((a) => {
    const sid = sidBytes(a.sid);
    const out = new Uint8Array(8 + sid.length);
    const view = new DataView(out.buffer);
    out[0] = a.type;
    out[1] = a.flags;
    view.setUint16(2, out.length, true);
    view.setUint32(4, a.mask, true);
    out.set(sid, 8);
    return out;
  });
  const size = 8 + bodies.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 2;
  view.setUint16(2, size, true);
  view.setUint16(4, aces.length, true);
  let at = 8;
  for (const b of bodies) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** A self-relative descriptor: header, then owner, group and DACL (each optional). */
export function descriptorBytes(owner?: SidSpec, group?: SidSpec, dacl?: AceSpec[]): Uint8Array {
  const parts = [owner && sidBytes(owner), group && sidBytes(group), dacl && aclBytes(dacl)];
  const size = 20 + parts.reduce((n, p) => n + (p?.length ?? 0), 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 1;
  view.setUint16(2, 0x8000 | (dacl ? 0x4 : 0), true);
  let at = 20;
  const fieldOffsets = [4, 8, 16];
  parts.forEach((p, i) => {
    if (!p) return;
    view.setUint32(fieldOffsets[i]!, at, true);
    out.set(p, at);
    at += p.length;
  });
  return out;
}
