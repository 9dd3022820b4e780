/**
 * Control commands as the daemon answers them. Every command runs through the
 * event queue, so a `status` never observes half a reload. The handler table is
 * a Record over ControlCommand: adding a command to the protocol without a
 * handler here does not compile.
 */
import type { ControlHandler } from '../control/server.js';
import {
  errorReply, successReply,
  type ControlCommand, type ControlReply, type ControlRequest, type JsonObject, type StreamedReply,
} from '../control/protocol.js';
import type { ReloadOutcome } from './config-state.js';
import { QueueClosedError, type EventQueue } from '../core/event-queue.js';
import { reloadErrorJson } from './status.js';

/** Commands answered by the director engine (absent when the daemon runs without it). */
export interface ExtraCommands {
  drain(request: ControlRequest): Promise<ControlReply>;
  undrain(request: ControlRequest): Promise<ControlReply>;
  /** Run outside the queue: they queue their own state changes and then wait. */
  drill(request: ControlRequest): Promise<ControlReply>;
  maintenance(request: ControlRequest): Promise<ControlReply>;
  /** What the last applied reload changed in IPVS (added to the reload reply). */
  reloadChanges(): JsonObject;
}

/** What the commands need from the daemon. */
export interface CommandTarget {
  status(): JsonObject | Promise<JsonObject>;
  /** Re-read and apply the config file; must be called from inside the queue. */
  reloadNow(source: string): Promise<ReloadOutcome>;
  readonly extra?: ExtraCommands | null;
  /** The kernel's IPVS connection table (`status --connections`), read in the daemon's namespace. */
  readonly connections?: (request: ControlRequest) => ControlReply | StreamedReply;
}

/** Commands that wait (seconds) for the network: run outside the queue, which they use themselves. */
const OUTSIDE_QUEUE: ReadonlySet<ControlCommand> = new Set<ControlCommand>(['drill', 'maintenance', 'connections']);

function extra(name: 'drain' | 'undrain' | 'drill' | 'maintenance'): CommandHandler {
  return (request, target) => {
    const commands = target.extra;
    if (!commands) return errorReply(request.id, { code: 'unknown_command', message: `'${name}' needs the director engine, which this daemon does not run` });
    return commands[name](request);
  };
}

type CommandHandler = (request: ControlRequest, target: CommandTarget) => Promise<ControlReply | StreamedReply> | ControlReply | StreamedReply;

function reloadReply(request: ControlRequest, outcome: ReloadOutcome, changes: JsonObject): ControlReply {
  if (outcome.kind === 'applied' && outcome.engineFailures !== undefined && outcome.engineFailures.length > 0) {
    return errorReply(request.id, {
      code: 'reload_failed',
      message: outcome.state.lastReloadError?.message ?? 'engines could not apply the new config',
      details: {
        ...changes,
        reloaded: true,
        reload_count: outcome.state.reloadCount,
        engine_failures: outcome.engineFailures.map((f) => ({ engine: f.engine, message: f.message })),
      },
    });
  }
  if (outcome.kind === 'applied') {
    return successReply(request.id, {
      ...changes,
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
  status: async (request, target) => successReply(request.id, await target.status()),
  reload: async (request, target) => reloadReply(request, await target.reloadNow('control'), target.extra?.reloadChanges() ?? {}),
  drain: extra('drain'),
  undrain: extra('undrain'),
  drill: extra('drill'),
  maintenance: extra('maintenance'),
  connections: (request, target) => {
    if (!target.connections) return errorReply(request.id, { code: 'unknown_command', message: 'this daemon cannot read the IPVS connection table' });
    return target.connections(request);
  },
};

export function makeControlHandler(queue: EventQueue, target: CommandTarget): ControlHandler {
  return async (request) => {
    if (OUTSIDE_QUEUE.has(request.cmd)) {
      if (queue.isClosed()) return errorReply(request.id, { code: 'shutting_down', message: 'the daemon is stopping' });
      try {
        return await handlers[request.cmd](request, target);
      } catch (err) {
        if (err instanceof QueueClosedError) return errorReply(request.id, { code: 'shutting_down', message: 'the daemon is stopping' });
        throw err;
      }
    }
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
