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
