import { describe, expect, it } from 'vitest';
import type { VrrpInstanceConfig } from '../../../src/config/types.js';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { RESPAWN_FIRST_MS, VrrpIsolate, WATCHDOG_TICK_MS, type IsolateProcess } from '../../../src/vrrp/isolate/host.js';
import type { HostMessage } from '../../../src/vrrp/isolate/protocol.js';
import type { TransitionNotice } from '../../../src/vrrp/runner.js';
import { configWith, flush, instanceConfig } from './runner-fakes.js';

/** A scripted isolate process: records what the host sends, answers as the test says. */
class FakeProcess implements IsolateProcess {
  readonly sent: HostMessage[] = [];
  private onMsg: ((m: unknown) => void) | null = null;
  private onEnd: ((code: number | null, signal: string | null) => void) | null = null;
  killed: string | null = null;
  constructor(readonly pid: number, private readonly autoReply = true) {}
  send(message: HostMessage): void {
    this.sent.push(message);
    if (!this.autoReply || !('id' in message)) return;
    const value = message.t === 'hold' ? true : null;
    queueMicrotask(() => { this.emit({ t: 'reply', id: message.id, ok: true, value }); });
    if (message.t === 'stop') queueMicrotask(() => { this.exit(0, null); });
  }
  onMessage(listener: (m: unknown) => void): void { this.onMsg = listener; }
  onExit(listener: (code: number | null, signal: string | null) => void): void { this.onEnd = listener; }
  kill(signal: NodeJS.Signals): void { this.killed = signal; this.exit(null, signal); }
  emit(message: unknown): void { this.onMsg?.(message); }
  ready(): void { this.emit({ t: 'ready', pid: this.pid }); }
  exit(code: number | null, signal: string | null): void { this.onEnd?.(code, signal); }
  snapshot(rows: unknown[], held: string[] = []): void {
    this.emit({ t: 'snapshot', instances: rows, held, health: { pid: this.pid, loopDelayMaxMs: 12, loopDelayWindowMaxMs: 3, cpuMs: 40 } });
  }
}

function setup(options: { autoReply?: boolean } = {}) {
  const clock = new FakeClock(0);
  const procs: FakeProcess[] = [];
  const failSafe: (readonly VrrpInstanceConfig[])[] = [];
  const notices: TransitionNotice[] = [];
  const tuned: [number, number][] = [];
  const isolate = new VrrpIsolate({
    clock, logger: silentLogger(),
    spawn: () => {
      const p = new FakeProcess(100 + procs.length, options.autoReply ?? true);
      procs.push(p);
      queueMicrotask(() => { p.ready(); });
      return p;
    },
    failSafe: (instances) => { failSafe.push(instances); return Promise.resolve(); },
    onTransition: (n) => notices.push(n),
    tune: (pid, prio) => { tuned.push([pid, prio]); return Promise.resolve(); },
  });
  return { clock, procs, failSafe, notices, tuned, isolate };
}

const web = instanceConfig();
const withVs = { ...configWith([web]), virtualServers: [{ name: 'big' } as never] };

describe('VrrpIsolate (the daemon side)', () => {
  it('spawns nothing without VRRP instances', async () => {
    const t = setup();
    await t.isolate.start(configWith([]));
    expect(t.procs).toHaveLength(0);
    expect(t.isolate.snapshot()).toEqual([]);
  });

  it('starts the isolate, sends the VRRP side of the config (no virtual servers) and sets its scheduling', async () => {
    const t = setup();
    await t.isolate.start(withVs);
    const apply = t.procs[0]?.sent.find((m) => m.t === 'apply');
    expect(apply?.t === 'apply' && apply.config.virtualServers).toEqual([]);
    expect(apply?.t === 'apply' && apply.config.vrrp.instances.map((i) => i.name)).toEqual(['web']);
    expect(t.tuned).toEqual([[100, 0]]);
  });

  it('serves status from pushed snapshots, forwards transitions and hold replies', async () => {
    const t = setup();
    await t.isolate.start(configWith([web]));
    const p = t.procs[0];
    p?.snapshot([{ name: 'web', state: 'MASTER', effective_priority: 150 }]);
    expect(t.isolate.snapshot()).toEqual([{ name: 'web', state: 'MASTER', effective_priority: 150 }]);
    expect(t.isolate.isolateStatus()).toMatchObject({ running: true, pid: 100, restarts: 0, loop_delay_max_ms: 12 });
    p?.emit({ t: 'transition', transition: { instance: 'web', from: 'BACKUP', to: 'MASTER', reason: 'master_down_timer', atMs: 5, priority: 150, at: '2026-01-01T00:00:00.000Z' } });
    expect(t.notices[0]).toMatchObject({ instance: 'web', record: { from: 'BACKUP', to: 'MASTER' }, priority: 150 });
    expect(t.notices[0]?.at).toBeInstanceOf(Date);
    expect(await t.isolate.setHold('web', true, true)).toBe(true);
    expect(t.isolate.held('web')).toBe(true);
    expect(p?.sent.find((m) => m.t === 'hold')).toMatchObject({ instance: 'web', on: true, resign: true });
  });

  it('refuses malformed messages without changing anything', async () => {
    const t = setup();
    await t.isolate.start(configWith([web]));
    const p = t.procs[0];
    p?.snapshot([{ name: 'web', state: 'BACKUP' }]);
    p?.emit({ t: 'snapshot', instances: 'nope', held: [] });
    p?.emit({ t: 'transition', transition: { instance: 'web', from: 'SIDEWAYS', to: 'MASTER' } });
    p?.emit(42);
    expect(t.isolate.snapshot()).toEqual([{ name: 'web', state: 'BACKUP' }]);
    expect(t.notices).toHaveLength(0);
  });

  it('isolate death: fail-safe removes the VIPs, MASTER reports INIT, restart after the back-off resends config, quorum and holds', async () => {
    const t = setup();
    await t.isolate.start(configWith([web]));
    t.isolate.setVirtualServerQuorum('http', false);
    await t.isolate.setHold('web', true);
    t.procs[0]?.snapshot([{ name: 'web', state: 'MASTER', effective_priority: 150 }]);
    t.procs[0]?.exit(null, 'SIGKILL');
    await flush();
    expect(t.failSafe).toEqual([[web]]);
    expect(t.notices.map((n) => [n.record.from, n.record.to, n.record.reason])).toEqual([['MASTER', 'INIT', 'isolate_exit']]);
    expect(t.isolate.snapshot()).toEqual([expect.objectContaining({ name: 'web', state: 'INIT', error: expect.stringMatching(/SIGKILL/) as string })]);
    expect(t.procs).toHaveLength(1);
    t.clock.advance(RESPAWN_FIRST_MS - 1);
    expect(t.procs).toHaveLength(1);
    t.clock.advance(1);
    for (let i = 0; i < 5; i++) await flush();
    const second = t.procs[1];
    expect(second?.sent.map((m) => m.t)).toEqual(['apply', 'quorum', 'hold']);
    expect(second?.sent[1]).toMatchObject({ name: 'http', ok: false });
    expect(t.isolate.isolateStatus()).toMatchObject({ running: true, pid: 101, restarts: 1 });
    // A second death right away doubles the back-off.
    second?.exit(1, null);
    await flush();
    t.clock.advance(RESPAWN_FIRST_MS);
    expect(t.procs).toHaveLength(2);
    t.clock.advance(RESPAWN_FIRST_MS);
    await flush();
    expect(t.procs).toHaveLength(3);
  });

  it('graceful stop: asks the isolate to stop and does not restart it; a silent isolate is killed and the fail-safe runs', async () => {
    const t = setup();
    await t.isolate.start(configWith([web]));
    await t.isolate.stop();
    expect(t.procs[0]?.sent.at(-1)?.t).toBe('stop');
    t.clock.advance(60_000);
    expect(t.procs).toHaveLength(1);
    expect(t.failSafe).toHaveLength(0);

    const silent = setup({ autoReply: false });
    const starting = silent.isolate.start(configWith([web]));
    await flush();
    silent.procs[0]?.emit({ t: 'reply', id: 1, ok: true, value: null });
    await starting;
    const stopping = silent.isolate.stop();
    await flush();
    silent.clock.advance(10_000);
    await stopping;
    expect(silent.procs[0]?.killed).toBe('SIGKILL');
    expect(silent.failSafe).toEqual([[web]]);
  });

  it('a hung isolate (silent 5 s while the daemon ran on time) is killed and the fail-safe runs; a stall of the daemon itself is not held against it', async () => {
    const t = setup();
    await t.isolate.start(configWith([web]));
    t.procs[0]?.snapshot([{ name: 'web', state: 'MASTER', effective_priority: 150 }]);
    t.clock.advance(4000);
    expect(t.procs[0]?.killed).toBeNull();
    t.clock.advance(2000);
    expect(t.procs[0]?.killed).toBe('SIGKILL');
    await flush();
    expect(t.failSafe).toEqual([[web]]);

    // Hand-driven timers: the daemon's own tick comes 7 s late, with messages still unread.
    let now = 0;
    const timers: { ms: number; fn: () => void }[] = [];
    const clock = { nowMs: () => now, wallNow: () => new Date(0), setTimer: (ms: number, fn: () => void) => { timers.push({ ms, fn }); return () => undefined; } };
    const procs: FakeProcess[] = [];
    const isolate = new VrrpIsolate({
      clock, logger: silentLogger(), failSafe: () => Promise.resolve(),
      spawn: () => { const p = new FakeProcess(7); procs.push(p); queueMicrotask(() => { p.ready(); }); return p; },
    });
    await isolate.start(configWith([web]));
    const nextTick = (): (() => void) | undefined => {
      const i = timers.findIndex((x) => x.ms === WATCHDOG_TICK_MS);
      return i < 0 ? undefined : timers.splice(i, 1)[0]?.fn;
    };
    now += 7000; // a stalled daemon: its tick comes 7 s late, with the isolate's messages unread
    nextTick()?.();
    expect(procs[0]?.killed).toBeNull();
    procs[0]?.snapshot([]); // what the isolate sent meanwhile is read now
    now += 1000;
    nextTick()?.();
    expect(procs[0]?.killed).toBeNull();
  });
});
