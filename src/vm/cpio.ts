/**
 * A minimal writer for the "newc" cpio format (the format the kernel unpacks as
 * an initramfs). Pure: entries in, bytes out. Only what an initramfs needs:
 * directories, regular files and symlinks, all owned by root.
 */

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Uint8Array; mode?: number }
  | { kind: 'symlink'; path: string; target: string };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function header(ino: number, mode: number, nlink: number, fileSize: number, nameSize: number): string {
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
  // rdevmajor, rdevminor, namesize, check
  const fields = [ino, mode, 0, 0, nlink, 0, fileSize, 0, 0, 0, 0, nameSize, 0];
  return '070701' + fields.map(hex8).join('');
}

function record(ino: number, mode: number, nlink: number, name: string, data: Uint8Array): Buffer[] {
  const nameBytes = Buffer.from(name + '\0', 'utf8');
  const head = Buffer.from(header(ino, mode, nlink, data.length, nameBytes.length), 'ascii');
  const headAndName = head.length + nameBytes.length;
  return [head, nameBytes, pad4(headAndName), Buffer.from(data), pad4(data.length)];
}

/** Serialises entries (parents before children) into one newc archive. */
export function buildCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const entry of entries) {
    const name = entry.path.replace(/^\/+/, '');
    switch (entry.kind) {
      case 'dir':
        parts.push(...record(ino, S_IFDIR | (entry.mode ?? 0o755), 2, name, new Uint8Array(0)));
        break;
      case 'file':
        parts.push(...record(ino, S_IFREG | (entry.mode ?? 0o644), 1, name, entry.data));
        break;
      case 'symlink':
        parts.push(...record(ino, S_IFLNK | 0o777, 1, name, Buffer.from(entry.target, 'utf8')));
        break;
    }
    ino += 1;
  }
  parts.push(...record(0, 0, 1, 'TRAILER!!!', new Uint8Array(0)));
  return Buffer.concat(parts);
}
