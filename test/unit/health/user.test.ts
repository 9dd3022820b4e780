import { describe, expect, it } from 'vitest';
import { exitVerdict } from '../../../src/health/checkers/exec.js';
import { findUser } from '../../../src/health/checkers/user.js';

const passwd = 'root:x:0:0:root:/root:/bin/bash\nlvh-script:x:998:997::/nonexistent:/usr/sbin/nologin\nbroken:x:a:b\n';

describe('findUser', () => {
  it('finds a user by name or numeric uid', () => {
    expect(findUser(passwd, 'lvh-script')).toEqual({ name: 'lvh-script', uid: 998, gid: 997, home: '/nonexistent' });
    expect(findUser(passwd, '998')?.name).toBe('lvh-script');
  });
  it('returns null for an unknown or malformed entry', () => {
    expect(findUser(passwd, 'nobody-here')).toBeNull();
    expect(findUser(passwd, 'broken')).toBeNull();
  });
});

describe('exitVerdict', () => {
  it('plain: only 0 is up', () => {
    expect(exitVerdict(0, false)).toEqual({ ok: true });
    expect(exitVerdict(2, false)).toEqual({ ok: false });
  });
  it('dynamic: 1 down, 2..255 up with weight status-2', () => {
    expect(exitVerdict(1, true)).toEqual({ ok: false });
    expect(exitVerdict(2, true)).toEqual({ ok: true, weight: 0 });
    expect(exitVerdict(255, true)).toEqual({ ok: true, weight: 253 });
  });
});
