/**
 * The control-socket protocol shared by the daemon and the CLI: newline-delimited
 * JSON, one request per line, one reply per request, versioned.
 *
 *   request  {"v":1,"id":7,"cmd":"status","args":{}}
 *   reply    {"v":1,"id":7,"ok":true,"result":{...}}
 *            {"v":1,"id":7,"ok":false,"error":{"code":"unknown_command","message":"..."}}
 *
 * Pure: no sockets, no clock. Decoders never throw; they return a DecodeResult
 * or a ready-made error reply.
 */
import { decoded, refused, type DecodeResult } from '../core/errors.js';

export const CONTROL_PROTOCOL_VERSION = 1;

/** Longest accepted line in bytes, newline excluded. Longer lines are refused and discarded. */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * Longest reply the client accepts. Requests stay small; replies carry the
 * whole status or connection table (thousands of real servers or connections).
 */
export const MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** Every command the daemon answers. Adding one here forces a handler in the daemon (exhaustive record). */
export const CONTROL_COMMANDS = ['status', 'reload', 'drain', 'undrain', 'drill', 'maintenance', 'connections'] as const;
export type ControlCommand = (typeof CONTROL_COMMANDS)[number];

export type RequestId = string | number | null;

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonObject = Readonly<Record<string, JsonValue>>;

export interface ControlRequest {
  readonly v: typeof CONTROL_PROTOCOL_VERSION;
  readonly id: RequestId;
  readonly cmd: ControlCommand;
  readonly args: JsonObject;
}

/** Stable error codes of the protocol; clients may switch on them. */
export type ControlErrorCode =
  | 'bad_json'
  | 'bad_request'
  | 'unsupported_version'
  | 'unknown_command'
  | 'line_too_long'
  | 'busy'
  | 'shutting_down'
  | 'reload_failed'
  | 'not_found'
  | 'refused'
  | 'forbidden'
  | 'internal';

export interface ControlErrorBody {
  readonly code: ControlErrorCode;
  readonly message: string;
  /** Structured detail, e.g. the located config issues of a failed reload. */
  readonly details?: JsonValue;
}

export type ControlReply =
  | {
    readonly v: typeof CONTROL_PROTOCOL_VERSION; readonly id: RequestId; readonly ok: true; readonly result: JsonObject;
    /** A part of a streamed reply: more lines with this id follow; the last has no `more`. */
    readonly more?: true;
  }
  | { readonly v: typeof CONTROL_PROTOCOL_VERSION; readonly id: RequestId; readonly ok: false; readonly error: ControlErrorBody };

/** A request that could not be accepted, with the id to answer to (null when unknown). */
export interface RequestRefusal {
  readonly id: RequestId;
  readonly error: ControlErrorBody;
}

export type RequestParseResult =
  | { readonly ok: true; readonly request: ControlRequest }
  | { readonly ok: false; readonly refusal: RequestRefusal };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRequestId(value: unknown): value is RequestId {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

function describeVersion(value: unknown): string {
  return value === undefined ? 'missing' : JSON.stringify(value);
}

function isControlCommand(value: string): value is ControlCommand {
  return (CONTROL_COMMANDS as readonly string[]).includes(value);
}

function refuse(id: RequestId, code: ControlErrorCode, message: string): RequestParseResult {
  return { ok: false, refusal: { id, error: { code, message } } };
}

const REQUEST_KEYS = new Set(['v', 'id', 'cmd', 'args']);

/** Parse one request line (newline already stripped). Never throws. */
export function parseRequest(line: string): RequestParseResult {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    const why = err instanceof Error ? err.message : 'unparseable';
    return refuse(null, 'bad_json', `request is not valid JSON: ${why}`);
  }
  if (!isPlainObject(value)) return refuse(null, 'bad_request', 'request must be a JSON object');
  const id = isRequestId(value.id) ? value.id : null;
  if (!('id' in value)) return refuse(null, 'bad_request', 'request has no "id"');
  if (!isRequestId(value.id)) return refuse(null, 'bad_request', '"id" must be a string, a number or null');
  if (value.v !== CONTROL_PROTOCOL_VERSION) {
    return refuse(id, 'unsupported_version', `protocol version ${describeVersion(value.v)} is not supported (this daemon speaks v${CONTROL_PROTOCOL_VERSION})`);
  }
  const extra = Object.keys(value).filter((k) => !REQUEST_KEYS.has(k));
  if (extra.length > 0) return refuse(id, 'bad_request', `unknown request key(s): ${extra.join(', ')}`);
  const cmd = value.cmd;
  if (typeof cmd !== 'string') return refuse(id, 'bad_request', '"cmd" must be a string');
  if (!isControlCommand(cmd)) {
    return refuse(id, 'unknown_command', `unknown command '${cmd}' (known: ${CONTROL_COMMANDS.join(', ')})`);
  }
  const args = value.args ?? {};
  if (!isPlainObject(args)) return refuse(id, 'bad_request', '"args" must be an object');
  return { ok: true, request: { v: CONTROL_PROTOCOL_VERSION, id, cmd, args: args as JsonObject } };
}

export function encodeRequest(id: RequestId, cmd: ControlCommand, args: JsonObject = {}): string {
  return `${JSON.stringify({ v: CONTROL_PROTOCOL_VERSION, id, cmd, args })}\n`;
}

export function successReply(id: RequestId, result: JsonObject): ControlReply {
  return { v: CONTROL_PROTOCOL_VERSION, id, ok: true, result };
}

export function errorReply(id: RequestId, error: ControlErrorBody): ControlReply {
  return { v: CONTROL_PROTOCOL_VERSION, id, ok: false, error };
}

/** A part of a streamed reply (the last part is an ordinary successReply). */
export function partReply(id: RequestId, result: JsonObject): ControlReply {
  return { v: CONTROL_PROTOCOL_VERSION, id, ok: true, result, more: true };
}

/**
 * A reply produced in parts, so that neither producing nor encoding a large
 * answer (the connection table) holds the daemon's loop: each part is a line
 * of its own; the last one carries no `more`. Parts merge on the client by
 * concatenating list-valued keys (mergeParts).
 */
export interface StreamedReply {
  readonly id: RequestId;
  readonly parts: AsyncIterable<JsonObject>;
}

export function isStreamedReply(r: ControlReply | StreamedReply): r is StreamedReply {
  return 'parts' in r;
}

/** Merges a streamed reply's parts: lists concatenate, other keys take the last part's value. */
export function mergeParts(parts: readonly JsonObject[]): JsonObject {
  const out: Record<string, JsonValue> = {};
  const lists = new Map<string, JsonValue[]>();
  for (const part of parts) {
    for (const [k, v] of Object.entries(part)) {
      const list = lists.get(k);
      if (list !== undefined && Array.isArray(v)) {
        for (const item of v as readonly JsonValue[]) list.push(item);
      } else if (Array.isArray(v)) {
        const fresh = [...(v as readonly JsonValue[])];
        lists.set(k, fresh);
        out[k] = fresh;
      } else {
        lists.delete(k);
        out[k] = v;
      }
    }
  }
  return out;
}

export function encodeReply(reply: ControlReply): string {
  return `${JSON.stringify(reply)}\n`;
}

const ERROR_CODES: ReadonlySet<string> = new Set<ControlErrorCode>([
  'bad_json', 'bad_request', 'unsupported_version', 'unknown_command', 'line_too_long',
  'busy', 'shutting_down', 'reload_failed', 'not_found', 'refused', 'forbidden', 'internal',
]);

function parseErrorBody(value: unknown): ControlErrorBody | null {
  if (!isPlainObject(value)) return null;
  const { code, message, details } = value;
  if (typeof code !== 'string' || !ERROR_CODES.has(code) || typeof message !== 'string') return null;
  const base = { code: code as ControlErrorCode, message };
  return details === undefined ? base : { ...base, details: details as JsonValue };
}

/** Parse one reply line on the client side. Never throws. */
export function parseReply(line: string): DecodeResult<ControlReply> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return refused('reply is not valid JSON');
  }
  if (!isPlainObject(value)) return refused('reply is not a JSON object');
  if (value.v !== CONTROL_PROTOCOL_VERSION) return refused(`reply has protocol version ${describeVersion(value.v)}, expected ${CONTROL_PROTOCOL_VERSION}`);
  if (!isRequestId(value.id)) return refused('reply has an invalid "id"');
  if (value.ok === true) {
    if (!isPlainObject(value.result)) return refused('success reply has no "result" object');
    if (value.more !== undefined && value.more !== true) return refused('"more" must be true when present');
    const reply = successReply(value.id, value.result as JsonObject);
    return decoded(value.more === true ? { ...reply, more: true } : reply);
  }
  if (value.ok === false) {
    const error = parseErrorBody(value.error);
    if (!error) return refused('error reply has no valid "error" {code, message}');
    return decoded(errorReply(value.id, error));
  }
  return refused('reply has no boolean "ok"');
}
