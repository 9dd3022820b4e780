import { describe, expect, it } from 'vitest';
import {
  CONTROL_PROTOCOL_VERSION, encodeReply, encodeRequest, errorReply, parseReply, parseRequest, successReply,
} from '../../../src/control/protocol.js';

function refusal(line: string): { id: unknown; code: string; message: string } {
  const parsed = parseRequest(line);
  if (parsed.ok) throw new Error(`expected a refusal for ${line}`);
  return { id: parsed.refusal.id, code: parsed.refusal.error.code, message: parsed.refusal.error.message };
}

describe('parseRequest', () => {
  it('accepts a versioned status request with numeric or string id', () => {
    expect(parseRequest('{"v":1,"id":7,"cmd":"status"}')).toEqual({
      ok: true,
      request: { v: 1, id: 7, cmd: 'status', args: {} },
    });
    const parsed = parseRequest('{"v":1,"id":"a-1","cmd":"reload","args":{"x":1}}');
    expect(parsed).toEqual({ ok: true, request: { v: 1, id: 'a-1', cmd: 'reload', args: { x: 1 } } });
  });

  it('round-trips what encodeRequest produces', () => {
    const line = encodeRequest(42, 'status');
    expect(line.endsWith('\n')).toBe(true);
    expect(parseRequest(line.trimEnd())).toEqual({ ok: true, request: { v: 1, id: 42, cmd: 'status', args: {} } });
  });

  it('refuses bad JSON without throwing, id unknown', () => {
    const r = refusal('{"v":1,"id":1,"cmd":');
    expect(r.code).toBe('bad_json');
    expect(r.id).toBeNull();
    expect(r.message).toMatch(/not valid JSON/);
  });

  it('refuses non-objects', () => {
    expect(refusal('[1,2]').code).toBe('bad_request');
    expect(refusal('"status"').code).toBe('bad_request');
    expect(refusal('null').code).toBe('bad_request');
  });

  it('refuses a missing or malformed id', () => {
    expect(refusal('{"v":1,"cmd":"status"}').message).toMatch(/no "id"/);
    expect(refusal('{"v":1,"id":{},"cmd":"status"}').message).toMatch(/"id" must be/);
  });

  it('refuses another protocol version, echoing the id', () => {
    const r = refusal('{"v":2,"id":9,"cmd":"status"}');
    expect(r).toEqual({ id: 9, code: 'unsupported_version', message: expect.stringContaining('version 2 is not supported') as string });
    expect(refusal('{"id":9,"cmd":"status"}').message).toMatch(/version missing/);
  });

  it('refuses an unknown command and lists the known ones', () => {
    const r = refusal('{"v":1,"id":3,"cmd":"stauts"}');
    expect(r.code).toBe('unknown_command');
    expect(r.id).toBe(3);
    expect(r.message).toContain("unknown command 'stauts'");
    expect(r.message).toContain('status, reload');
  });

  it('refuses unknown keys, non-string cmd and non-object args', () => {
    expect(refusal('{"v":1,"id":1,"cmd":"status","verbose":true}').message).toMatch(/unknown request key\(s\): verbose/);
    expect(refusal('{"v":1,"id":1,"cmd":5}').message).toMatch(/"cmd" must be a string/);
    expect(refusal('{"v":1,"id":1,"cmd":"status","args":[1]}').message).toMatch(/"args" must be an object/);
  });
});

describe('replies', () => {
  it('encodes one JSON line and parses back', () => {
    const ok = successReply(1, { node: 'a' });
    const line = encodeReply(ok);
    expect(line).toBe('{"v":1,"id":1,"ok":true,"result":{"node":"a"}}\n');
    expect(parseReply(line.trimEnd())).toEqual({ ok: true, value: ok });
    const bad = errorReply('x', { code: 'reload_failed', message: 'no', details: { errors: [] } });
    expect(parseReply(encodeReply(bad).trimEnd())).toEqual({ ok: true, value: bad });
    expect(ok.v).toBe(CONTROL_PROTOCOL_VERSION);
  });

  it('refuses malformed replies with a reason', () => {
    expect(parseReply('nope')).toEqual({ ok: false, reason: 'reply is not valid JSON' });
    expect(parseReply('{"v":2,"id":1,"ok":true,"result":{}}')).toMatchObject({ ok: false, reason: expect.stringContaining('version 2') as string });
    expect(parseReply('{"v":1,"id":1,"ok":true}')).toMatchObject({ ok: false });
    expect(parseReply('{"v":1,"id":1,"ok":false,"error":{"code":"nonsense","message":"m"}}')).toMatchObject({ ok: false });
    expect(parseReply('{"v":1,"id":1}')).toEqual({ ok: false, reason: 'reply has no boolean "ok"' });
  });
});
