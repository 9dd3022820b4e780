/**
 * The AF_PACKET frame sender behind announcements. The socket is opened with
 * protocol 0, so it receives nothing; frames are whole Ethernet frames built
 * by src/os/frames.ts and leave through sendto() with a sockaddr_ll.
 */
import { linux, type LvshaNet } from '../native/lvsha-net.js';
import type { FrameSender } from './announce.js';
import { osError } from './os-errors.js';

export interface PacketSender extends FrameSender {
  close(): void;
}

export function openPacketSender(net: LvshaNet): PacketSender {
  let fd: number;
  try {
    fd = net.openSocket(linux.AF_PACKET, linux.SOCK_RAW, 0);
  } catch (err) {
    throw osError('socket(AF_PACKET)', err);
  }
  let open = true;
  return {
    send(ifindex, frame) {
      if (!open) throw osError('sendto(AF_PACKET)', new Error('socket closed'));
      try {
        net.sendPacket(fd, ifindex, frame);
      } catch (err) {
        throw osError('sendto(AF_PACKET)', err);
      }
    },
    close() {
      if (!open) return;
      open = false;
      net.closeFd(fd);
    },
  };
}
