import { describe, expect, test } from 'vitest';
import { GENL_ID_CTRL } from 'netlink';
import { familyEventOf } from '../../../src/os/genl-family-watch.js';

/** A CTRL_ATTR_FAMILY_NAME (2) attribute: length, type, NUL-terminated name, padded to 4. */
function nameAttr(name: string): Buffer {
  const value = Buffer.from(`${name}\0`, 'latin1');
  const len = 4 + value.length;
  const buf = Buffer.alloc((len + 3) & ~3);
  buf.writeUInt16LE(len, 0);
  buf.writeUInt16LE(2, 2);
  value.copy(buf, 4);
  return buf;
}

describe('nlctrl family notifications', () => {
  test('NEWFAMILY / DELFAMILY of IPVS are added / removed', () => {
    expect(familyEventOf({ family: GENL_ID_CTRL, cmd: 1, data: nameAttr('IPVS') }, 'IPVS')).toBe('added');
    expect(familyEventOf({ family: GENL_ID_CTRL, cmd: 2, data: nameAttr('IPVS') }, 'IPVS')).toBe('removed');
  });

  test('another family, another command, another sender or garbage: nothing', () => {
    expect(familyEventOf({ family: GENL_ID_CTRL, cmd: 2, data: nameAttr('nl80211') }, 'IPVS')).toBeNull();
    expect(familyEventOf({ family: GENL_ID_CTRL, cmd: 7, data: nameAttr('IPVS') }, 'IPVS')).toBeNull();
    expect(familyEventOf({ family: 30, cmd: 2, data: nameAttr('IPVS') }, 'IPVS')).toBeNull();
    expect(familyEventOf({ family: GENL_ID_CTRL, cmd: 2, data: Buffer.from([0xff, 0xff, 0x02]) }, 'IPVS')).toBeNull();
  });
});
