/**
 * Self-relative security descriptors, SIDs and ACLs: built by the test's own writer from
 * [MS-DTYP], parsed back; damaged bytes give only GrtError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { parseSecurityDescriptor } from '../../src/fs/ntfs/security-descriptor.js';
import { parseSid, sidName } from '../../src/fs/ntfs/security-sid.js';
import { descriptorBytes, sidBytes, sidText, type AceSpec, type SidSpec } from './security-build.js';

const sidArb: fc.Arbitrary<SidSpec> = fc.record({
  authority: fc.oneof(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 2 ** 48 - 1 })),
  subs: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
});
const aceArb: fc.Arbitrary<AceSpec> = fc.record({
  type: fc.constantFrom(0, 1, 2, 3),
  flags: fc.integer({ min: 0, max: 0xff }),
  mask: fc.integer({ min: 0, max: 0xffffffff }),
  sid: sidArb,
});
const NAMES = ['allow', 'deny', 'audit', 'alarm'];

const expectGrtError = (fn: () => unknown): void => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GrtError);
  }
};

describe('SID', () => {
  it('reads the text form of well-known and domain SIDs', () => {
    const admins = sidBytes({ authority: 5, subs: [32, 544] });
    expect(parseSid(admins, 0, admins.length, 't')).toEqual({ sid: 'S-1-5-32-544', length: 16 });
    expect(sidName('S-1-5-32-544')).toBe('BUILTIN\\Administrators');
    expect(sidName('S-1-5-18')).toBe('NT AUTHORITY\\SYSTEM');
    expect(sidName('S-1-1-0')).toBe('Everyone');
    expect(sidName('S-1-5-21-1-2-3-1001')).toBe('S-1-5-21-1-2-3-1001');
  });

  it('round-trips any SID (hex authority from 2^32 on)', () => {
    fc.assert(fc.property(sidArb, (s) => {
      const bytes = sidBytes(s);
      expect(parseSid(bytes, 0, bytes.length, 't')).toEqual({ sid: sidText(s), length: bytes.length });
    }));
  });

  it('refuses more than 15 sub-authorities and a SID past its end', () => {
    const bytes = sidBytes({ authority: 5, subs: Array.from({ length: 15 }, (_, i) => i) });
    bytes[1] = 16;
    expect(() => parseSid(new Uint8Array([...bytes, 0, 0, 0, 0]), 0, bytes.length + 4, 't')).toThrow(/more than 15/);
    bytes[1] = 15;
    expect(() => parseSid(bytes, 0, bytes.length - 1, 't')).toThrow(GrtError);
  });
});

describe('security descriptor', () => {
  it('lists owner, group and DACL as built', () => {
    fc.assert(fc.property(fc.option(sidArb, { nil: undefined }), fc.option(sidArb, { nil: undefined }), fc.option(fc.array(aceArb, { maxLength: 20 }), { nil: undefined }), (owner, group, dacl) => {
      const info = parseSecurityDescriptor(descriptorBytes(owner, group, dacl), 't');
      expect(info.owner).toBe(owner && sidText(owner));
      expect(info.group).toBe(group && sidText(group));
      expect(info.dacl).toEqual(dacl?.map((a) => ({ type: NAMES[a.type], sid: sidText(a.sid), mask: a.mask, flags: a.flags })));
    }));
  });

  it('gives only GrtError on damaged bytes', () => {
    fc.assert(fc.property(sidArb, sidArb, fc.array(aceArb, { maxLength: 6 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(), (owner, group, dacl, edits, cut) => {
      const bytes = descriptorBytes(owner, group, dacl);
      for (const [at, value] of edits) bytes[at % bytes.length] = value;
      expectGrtError(() => parseSecurityDescriptor(bytes, 't'));
      expectGrtError(() => parseSecurityDescriptor(bytes.subarray(0, cut % bytes.length), 't'));
    }));
  });

  it('refuses an absolute descriptor, offsets into the header and an ACE size of 0', () => {
    const admins: SidSpec = { authority: 5, subs: [32, 544] };
    const bytes = descriptorBytes(admins, admins, [{ type: 0, flags: 0, mask: 1, sid: admins }]);
    const absolute = bytes.slice();
    absolute[3] = 0;
    expect(() => parseSecurityDescriptor(absolute, 't', { offset: 70_000, space: 'volume' })).toThrow(expect.objectContaining({ offset: 70_000, space: 'volume' }));
    expect(() => parseSecurityDescriptor(absolute, 't')).toThrow(/self-relative/);
    const intoHeader = bytes.slice();
    intoHeader[4] = 2;
    expect(() => parseSecurityDescriptor(intoHeader, 't')).toThrow(/owner offset/);
    expect(() => parseSecurityDescriptor(intoHeader, 't', { offset: 512, space: 'stream' })).toThrow(expect.objectContaining({ offset: 512, space: 'stream' }));
    const zeroAce = bytes.slice();
    const daclAt = new DataView(zeroAce.buffer).getUint32(16, true);
    zeroAce[daclAt + 8 + 2] = 0;
    expect(() => parseSecurityDescriptor(zeroAce, 't')).toThrow(/ACE size/);
  });
});
