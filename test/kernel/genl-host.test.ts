/**
 * The generic netlink adapter against the host kernel (no VM needed): family
 * resolution through nlctrl, a multi-part dump, and the typed errors for a
 * family that does not exist.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { attrsByType, decodeAttrs, readString, readU16 } from '../../src/lvs/ipvs/attrs.js';
import { NetlinkError, openGenericNetlink, type GenericNetlink } from '../../src/os/genl.js';

const CTRL_CMD_NEWFAMILY = 1;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;

describe('generic netlink adapter on the host kernel', () => {
  let nl: GenericNetlink | undefined;
  afterEach(() => {
    nl?.close();
    nl = undefined;
  });

  test('resolves the nlctrl family itself (id 16)', async () => {
    nl = openGenericNetlink();
    expect(await nl.resolveFamily('nlctrl', { version: 2 })).toEqual({ id: 16, name: 'nlctrl', version: 2 });
  });

  test('a dump of all families returns several NEWFAMILY messages, nlctrl among them with id 16', async () => {
    nl = openGenericNetlink();
    const ctrl = await nl.resolveFamily('nlctrl', { version: 2 });
    const replies = await nl.request(ctrl, { cmd: CTRL_CMD_GETFAMILY, kind: 'dump', payload: Buffer.alloc(0), label: 'GETFAMILY' });
    expect(replies.length).toBeGreaterThan(1);
    expect(new Set(replies.map((r) => r.cmd))).toEqual(new Set([CTRL_CMD_NEWFAMILY]));
    const families = new Map<string, number>();
    for (const reply of replies) {
      const attrs = decodeAttrs(reply.payload);
      if (!attrs.ok) throw new Error(attrs.reason);
      const byType = attrsByType(attrs.value);
      const name = readString(byType.get(CTRL_ATTR_FAMILY_NAME) ?? Buffer.alloc(0));
      const id = readU16(byType.get(CTRL_ATTR_FAMILY_ID) ?? Buffer.alloc(0));
      if (name.ok && id.ok) families.set(name.value, id.value);
    }
    expect(families.get('nlctrl')).toBe(16);
  });

  test('an unknown family is a NetlinkError ENOENT naming the family and the hint', async () => {
    nl = openGenericNetlink();
    const err = await nl.resolveFamily('LVKNOSUCH', { version: 1, missingHint: 'test hint' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err).toMatchObject({ code: 'LVSHA_NETLINK', errno: 2, errnoName: 'ENOENT', command: 'nlctrl GETFAMILY LVKNOSUCH' });
    expect((err as NetlinkError).message).toBe('nlctrl GETFAMILY LVKNOSUCH: generic netlink family "LVKNOSUCH" not found (ENOENT): test hint');
  });

  test('a kernel error on a doit request is a NetlinkError with errno, name and command', async () => {
    nl = openGenericNetlink();
    const ctrl = await nl.resolveFamily('nlctrl', { version: 2 });
    // GETFAMILY doit without a name or id: the kernel answers EINVAL.
    const err = await nl.request(ctrl, { cmd: CTRL_CMD_GETFAMILY, kind: 'doit', payload: Buffer.alloc(0), label: 'GETFAMILY' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'NetlinkError', code: 'LVSHA_NETLINK', errno: 22, errnoName: 'EINVAL', command: 'nlctrl GETFAMILY' });
  });

  test('the explain hook words a kernel errno', async () => {
    nl = openGenericNetlink();
    const ctrl = await nl.resolveFamily('nlctrl', { version: 2 });
    const err = await nl.request(ctrl, {
      cmd: CTRL_CMD_GETFAMILY, kind: 'doit', payload: Buffer.alloc(0), label: 'GETFAMILY',
      explain: (errno, name) => `custom ${errno} ${name}`,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('nlctrl GETFAMILY: custom 22 EINVAL');
  });
});
