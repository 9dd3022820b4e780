/** Resolve a user name to uid/gid from /etc/passwd (no NSS; system users live there). */
import { readFile } from 'node:fs/promises';
import { LvsHaError } from '../../core/errors.js';

export interface UserIds {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

export class UnknownUserError extends LvsHaError {
  readonly code = 'LVSHA_UNKNOWN_USER';
}

/** Parse passwd(5) text and find `name` (or a numeric uid). Pure. */
export function findUser(passwd: string, name: string): UserIds | null {
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 7) continue;
    const [user, , uidText, gidText, , home] = fields;
    if (user === undefined || uidText === undefined || gidText === undefined) continue;
    if (user === name || uidText === name) {
      const uid = Number(uidText);
      const gid = Number(gidText);
      if (!Number.isInteger(uid) || !Number.isInteger(gid)) return null;
      return { name: user, uid, gid, home: home ?? '/' };
    }
  }
  return null;
}

export async function resolveUser(name: string, passwdPath = '/etc/passwd'): Promise<UserIds> {
  const found = findUser(await readFile(passwdPath, 'utf8'), name);
  if (!found) throw new UnknownUserError(`user ${name} not found in ${passwdPath}`);
  return found;
}
