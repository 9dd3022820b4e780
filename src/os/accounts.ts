/**
 * Accounts from the files, without NSS: system users and groups live in
 * /etc/passwd and /etc/group on a director. Parsers are pure; the resolvers
 * read the file and name it in their errors.
 */
import { readFile } from 'node:fs/promises';
import { LvsHaError } from '../core/errors.js';

export interface GroupIds {
  readonly name: string;
  readonly gid: number;
}

export class UnknownGroupError extends LvsHaError {
  readonly code = 'LVSHA_UNKNOWN_GROUP';
}

/** Finds `name` in group(5) text. Pure. */
export function findGroup(groupText: string, name: string): GroupIds | null {
  for (const line of groupText.split('\n')) {
    const [group, , gidText] = line.split(':');
    if (group !== name || gidText === undefined || !/^\d+$/.test(gidText)) continue;
    return { name: group, gid: Number(gidText) };
  }
  return null;
}

export async function resolveGroup(name: string, groupPath = '/etc/group'): Promise<GroupIds> {
  const found = findGroup(await readFile(groupPath, 'utf8'), name);
  if (!found) throw new UnknownGroupError(`group '${name}' not found in ${groupPath}`);
  return found;
}

/** A user as scripts run under it. */
export interface UserIds {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

export class ScriptUserError extends LvsHaError {
  readonly code = 'LVSHA_SCRIPT_USER';
}

/** Finds `name` (or a numeric uid) in passwd(5) text. Pure. */
export function findUser(passwd: string, name: string): UserIds | null {
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 7) continue;
    const [user, , uidText, gidText, , home] = fields;
    if (user === undefined || uidText === undefined || gidText === undefined) continue;
    if (user !== name && uidText !== name) continue;
    if (!/^\d+$/.test(uidText) || !/^\d+$/.test(gidText)) return null;
    return { name: user, uid: Number(uidText), gid: Number(gidText), home: home === undefined || home === '' ? '/' : home };
  }
  return null;
}

/**
 * The user every script runs as (`scripts.user`: exec checks, track scripts,
 * notify, exec alerts), the one lookup all of them use. uid 0 is refused
 * whatever the name (an alias of root in /etc/passwd is still root).
 */
export async function resolveScriptUser(name: string, passwdPath = '/etc/passwd'): Promise<UserIds> {
  const found = findUser(await readFile(passwdPath, 'utf8'), name);
  if (!found) throw new ScriptUserError(`script user '${name}' does not exist (${passwdPath}); create it (useradd --system --no-create-home --shell /usr/sbin/nologin ${name}) or set scripts.user`);
  if (found.uid === 0) throw new ScriptUserError(`script user '${name}' has uid 0 in ${passwdPath}: scripts never run as root, whatever the name`);
  return found;
}
