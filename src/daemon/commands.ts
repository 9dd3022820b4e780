/**
 * Control commands as the daemon answers them. Every command runs through the
 * event queue, so a `status` never observes half a reload. The handler table is
 * a Record over ControlCommand: adding a command to the protocol without a
 * handler here does not compile.
 */
import type { ControlHandler } from '../control/server.js';
import {
  errorReply, successReply,
  type ControlCommand, type ControlReply, type ControlRequest, type JsonObject,
} from '../control/protocol.js';
import type { ReloadOutcome } from './config-state.js';
import { QueueClosedError, type EventQueue } from './event-queue.js';
import { reloadErrorJson } from './status.js';

/** What the commands need from the daemon. */
export interface CommandTarget {
  status(): JsonObject;
  /** Re-read and apply the config file; must be called from inside the queue. */
  reloadNow(source: string): Promise<ReloadOutcome>;
}

type CommandHandler = (request: ControlRequest, target: CommandTarget) => Promise<ControlReply> | ControlReply;

function reloadReply(request: ControlRequest, outcome: ReloadOutcome): ControlReply {
  if (outcome.kind === 'applied') {
    return successReply(request.id, {
      reloaded: true,
      reload_count: outcome.state.reloadCount,
      loaded_at: outcome.state.loadedAt.toISOString(),
      config_path: outcome.state.configPath,
    });
  }
  return errorReply(request.id, {
    code: 'reload_failed',
    message: outcome.error.message,
    details: reloadErrorJson(outcome.error),
  });
}

const handlers: Readonly<Record<ControlCommand, CommandHandler>> = {
  status: (request, target) => successReply(request.id, target.status()),
  reload: async (request, target) => reloadReply(request, await target.reloadNow('control')),
};

export function makeControlHandler(queue: EventQueue, target: CommandTarget): ControlHandler {
  return async (request) => {
    try {
      return await queue.enqueue({
        label: `control:${request.cmd}`,
        run: () => handlers[request.cmd](request, target),
      });
    } catch (err) {
      if (err instanceof QueueClosedError) {
        return errorReply(request.id, { code: 'shutting_down', message: 'the daemon is stopping' });
      }
      throw err;
    }
  };
}
