import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLinkWatcher, type LinkEvent, type LinkWatcher } from '../../../src/os/links.js';
import { IF_A, IF_B, NS_A, NS_B, ifindexIn, inNs, loadLvshaNet, setupLab, teardownLab, waitFor, withNetns } from './lab.js';

const net = loadLvshaNet();
let watcher: LinkWatcher;
const events: LinkEvent[] = [];

beforeAll(async () => {
  await setupLab();
  watcher = await withNetns(net, NS_A, () => openLinkWatcher());
  watcher.onChange((e) => events.push(e));
});
afterAll(() => {
  watcher.close();
  teardownLab();
});

const last = (name: string): LinkEvent | undefined => events.filter((e) => e.name === name).at(-1);

describe('link state from RTNLGRP_LINK events', () => {
  it('starts from a dump of the current state', () => {
    expect(watcher.current().get(IF_A)).toEqual({ name: IF_A, ifindex: ifindexIn(NS_A, IF_A), up: true });
    expect(watcher.current().get('lo')?.up).toBe(true);
    expect(events).toHaveLength(0);
  });

  it('reports down and up when the interface is set down and up', async () => {
    inNs(NS_A, ['ip', 'link', 'set', IF_A, 'down']);
    await waitFor(() => last(IF_A)?.up === false, 3000, 'down event');
    expect(watcher.current().get(IF_A)?.up).toBe(false);
    inNs(NS_A, ['ip', 'link', 'set', IF_A, 'up']);
    await waitFor(() => last(IF_A)?.up === true, 3000, 'up event');
    expect(last(IF_A)).toMatchObject({ kind: 'changed', name: IF_A });
  });

  it('reports down when the carrier goes (the veth peer is set down) and up when it returns', async () => {
    const before = events.length;
    inNs(NS_B, ['ip', 'link', 'set', IF_B, 'down']);
    await waitFor(() => events.length > before && last(IF_A)?.up === false, 3000, 'carrier-loss event');
    inNs(NS_B, ['ip', 'link', 'set', IF_B, 'up']);
    await waitFor(() => last(IF_A)?.up === true, 3000, 'carrier-back event');
  });

  it('reports a removed interface as down', async () => {
    // The host kernel has no dummy driver: a second veth pair inside lvoA.
    inNs(NS_A, ['ip', 'link', 'add', 'lvodum0', 'type', 'veth', 'peer', 'name', 'lvodum1']);
    inNs(NS_A, ['ip', 'link', 'set', 'lvodum1', 'up']);
    inNs(NS_A, ['ip', 'link', 'set', 'lvodum0', 'up']);
    await waitFor(() => last('lvodum0')?.up === true, 3000, 'dummy up');
    inNs(NS_A, ['ip', 'link', 'del', 'lvodum0']);
    await waitFor(() => last('lvodum0')?.kind === 'removed', 3000, 'dummy removed');
    expect(last('lvodum0')?.up).toBe(false);
    expect(watcher.current().has('lvodum0')).toBe(false);
  });
});
