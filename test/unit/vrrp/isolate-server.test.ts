import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/types.js';
import type { JsonValue } from '../../../src/control/protocol.js';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import type { IsolateMessage } from '../../../src/vrrp/isolate/protocol.js';
import { IsolateServer, SNAPSHOT_TICK_MS, type IsolatedEngine } from '../../../src/vrrp/isolate/server.js';
import { configWith, flush, instanceConfig } from './runner-fakes.js';

class FakeEngine implements IsolatedEngine {
  readonly calls: string[] = [];
  state = 'BACKUP';
  private readonly holds = new Set<string>();
  release: (() => void) | null = null;
  async applyConfig(config: Config): Promise<void> {
    this.calls.push(`apply:${config.vrrp.instances.map((i) => i.name).join(',')}`);
    await new Promise<void>((resolve) => { this.release = resolve; });
  }
  setHold(instance: string, on: boolean): boolean {
    this.calls.push(`hold:${instance}:${String(on)}`);
    if (on) this.holds.add(instance);
    return instance === 'web';
  }
  held(instance: string): boolean { return this.holds.has(instance); }
  setVirtualServerQuorum(name: string, ok: boolean): void { this.calls.push(`quorum:${name}:${String(ok)}`); }
  snapshot(): JsonValue { return [{ name: 'web', state: this.state }]; }
  stop(): Promise<void> { this.calls.push('stop'); return Promise.resolve(); }
}

function setup() {
  const clock = new FakeClock(0);
  const out: IsolateMessage[] = [];
  const exits: number[] = [];
  let onMessage: (m: unknown) => void = () => undefined;
  let onDisconnect: () => void = () => undefined;
  const server = new IsolateServer({
    clock, log: silentLogger(), exit: (code) => exits.push(code),
    channel: {
      send: (m, done) => { out.push(m); done?.(); },
      onMessage: (l) => { onMessage = l; },
      onDisconnect: (l) => { onDisconnect = l; },
    },
  });
  const engine = new FakeEngine();
  server.attach(engine);
  return { clock, out, exits, engine, server, send: (m: unknown) => { onMessage(m); }, disconnect: () => { onDisconnect(); } };
}

const config = configWith([instanceConfig()]);

describe('IsolateServer (the isolate side)', () => {
  it('says ready, then pushes the snapshot only when it changed', () => {
    const t = setup();
    expect(t.out.map((m) => m.t)).toEqual(['ready', 'snapshot']);
    t.clock.advance(SNAPSHOT_TICK_MS);
    expect(t.out.filter((m) => m.t === 'snapshot')).toHaveLength(1);
    t.engine.state = 'MASTER';
    t.clock.advance(SNAPSHOT_TICK_MS);
    expect(t.out.at(-1)).toMatchObject({ t: 'snapshot', instances: [{ name: 'web', state: 'MASTER' }] });
  });

  it('runs requests one at a time in order: a hold waits for the apply before it', async () => {
    const t = setup();
    t.send({ t: 'apply', id: 1, config });
    t.send({ t: 'hold', id: 2, instance: 'web', on: true, resign: true });
    t.send({ t: 'quorum', name: 'http', ok: false });
    await flush();
    expect(t.engine.calls).toEqual(['apply:web']);
    t.engine.release?.();
    await flush();
    expect(t.engine.calls).toEqual(['apply:web', 'hold:web:true', 'quorum:http:false']);
    const replies = t.out.filter((m) => m.t === 'reply');
    expect(replies).toEqual([{ t: 'reply', id: 1, ok: true, value: true }, { t: 'reply', id: 2, ok: true, value: true }]);
    expect(t.out.at(-1)).toMatchObject({ t: 'snapshot', held: ['web'] });
  });

  it('refuses malformed messages; the daemon gone means stop and exit 0', async () => {
    const t = setup();
    t.send({ t: 'hold', id: 3, instance: 7 });
    t.send({ t: 'explode' });
    await flush();
    expect(t.engine.calls).toEqual([]);
    t.disconnect();
    await flush();
    expect(t.engine.calls).toEqual(['stop']);
    expect(t.exits).toEqual([0]);
  });

  it('a stop request stops the engine, answers, then exits', async () => {
    const t = setup();
    t.send({ t: 'stop', id: 9 });
    await flush();
    expect(t.engine.calls).toEqual(['stop']);
    expect(t.out.at(-1)).toEqual({ t: 'reply', id: 9, ok: true, value: true });
    expect(t.exits).toEqual([0]);
  });
});
