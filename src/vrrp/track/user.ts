/**
 * The script user (`scripts.user`) as uid/gid, read from passwd(5). System users live in
 * /etc/passwd, so no NSS lookup is needed. uid 0 is refused: scripts never run as root.
 */
import { readFile } from 'node:fs/promises';
import { LvsHaError } from '../../core/errors.js';
import type { ScriptUser } from './exec.js';

export class ScriptUserError extends LvsHaError {
  readonly code = 'LVSHA_SCRIPT_USER';
}

/** Find `name` in passwd text (pure). */
export function parsePasswdUser(passwd: string, name: string): ScriptUser | null {
  for (const line of passwd.split('\n')) {
    const [user, , uidText, gidText, , home] = line.split(':');
    if (user !== name || uidText === undefined || gidText === undefined) continue;
    const uid = Number(uidText);
    const gid = Number(gidText);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) return null;
    return { uid, gid, home: home === undefined || home === '' ? '/' : home };
  }
  return null;
}

export async function resolveScriptUser(name: string, passwdPath = '/etc/passwd'): Promise<ScriptUser> {
  const found = parsePasswdUser(await readFile(passwdPath, 'utf8'), name);
  if (!found) throw new ScriptUserError(`script user '${name}' does not exist (${passwdPath})`);
  if (found.uid === 0) throw new ScriptUserError(`script user '${name}' has uid 0; scripts never run as root`);
  return found;
}
