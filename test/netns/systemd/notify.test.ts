/**
 * The shipped unit under a real systemd (container.ts: systemd as PID 1 of
 * its own namespaces): Type=notify with NotifyAccess=main, so only datagrams
 * from the daemon's own pid count (the native sd_notify, no child process).
 *
 * - the unit is "activating" until the daemon says READY=1, then "active"
 *   with the daemon's STATUS= text; the same daemon run as a child of the
 *   unit's main process (its datagrams come from another pid) never becomes
 *   active and fails on the start timeout;
 * - WATCHDOG=1 pings keep it alive past several watchdog periods, and a daemon
 *   whose pings stop (SIGSTOP) is killed by the watchdog and restarted;
 * - `systemctl reload` (SIGHUP, RELOADING=1 .. READY=1) keeps the same pid;
 * - /metrics of the running daemon has lvs_ha_check_latency_seconds growing,
 *   consistent with lvs_ha_checks_total;
 * - `systemctl stop` ends in inactive with result success.
 * Runs the compiled daemon: `npm run build` first.
 */
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestControl } from '../../../src/control/client.js';
import { startSystemdContainer, type SystemdContainer } from './container.js';

const repo = resolve(import.meta.dirname, '../../..');
const launcher = join(repo, 'bin', 'lvs-ha.js');
const WATCHDOG_S = 3;
const METRICS = 'http://10.97.0.21:19651/metrics';

let box: SystemdContainer | undefined;

function configText(node: string, metrics: boolean): string {
  return `node: ${node}
control: { socket: /run/lvs-ha/lvs-ha.sock${metrics ? ', metrics_listen: "10.97.0.21:19651"' : ''} }
virtual_servers:
  - name: self
    address: 10.97.0.100
    port: 80
    scheduler: wrr
    forwarding: nat
    check: { type: tcp, interval: 200ms, timeout: 100ms, rise: 1, fall: 1 }
    real_servers:
      # The daemon's own metrics listener (checks pass) and a closed port (checks fail).
      - { address: 10.97.0.21, port: 19651, weight: 1 }
      - { address: 10.97.0.21, port: 19652, weight: 1 }
scripts: { user: nobody }
`;
}

/** The shipped unit, started from this checkout with a config under the container's /run. */
function shippedUnit(config: string): string {
  const text = readFileSync(join(repo, 'systemd', 'lvs-ha.service'), 'utf8');
  expect(text).toMatch(/^NotifyAccess=main$/m);
  return text
    .replace(/^ExecStartPre=\/usr\/bin\/lvs-ha check-config \/etc\/lvs-ha\/lvs-ha\.yaml$/m, `ExecStartPre=${process.execPath} ${launcher} check-config ${config}`)
    .replace(/^ExecStart=\/usr\/bin\/lvs-ha run --config \/etc\/lvs-ha\/lvs-ha\.yaml$/m, `ExecStart=${process.execPath} ${launcher} run --config ${config}`);
}

/** Test-only settings: no default dependencies (the container has no sysinit.target), short watchdog, a log file. */
function dropIn(extra: string): string {
  // A checkout under /tmp (a CI clone) is hidden by the unit's PrivateTmp=yes: bind it back in,
  // read-only, on top of the private /tmp. The sandbox under test is otherwise unchanged.
  const bind = /^\/(var\/)?tmp\//.test(repo) ? `BindReadOnlyPaths=${repo}\n` : '';
  return `[Unit]\nDefaultDependencies=no\n[Service]\nWatchdogSec=${String(WATCHDOG_S)}s\nStandardOutput=append:/run/lvd-test/daemon.log\nStandardError=append:/run/lvd-test/daemon.log\n${bind}${extra}`;
}

function c(): SystemdContainer {
  if (!box) throw new Error('no container');
  return box;
}

const UNIT_PROPS = ['ActiveState', 'SubState', 'Result', 'MainPID', 'NRestarts', 'StatusText', 'NotifyAccess', 'Type'];
const show = (unit = 'lvs-ha.service'): Record<string, string> => c().show(unit, UNIT_PROPS);

async function until(what: string, probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(show())}\n${daemonLog().slice(-3000)}`);
}

function daemonLog(): string {
  const path = c().hostPath('/run/lvd-test/daemon.log');
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Wall time (ms) at which systemd last saw lvs-ha.service enter "active". */
function activeEnteredMs(): number {
  const out = c().systemctl(['show', '--timestamp=us+utc', '--property=ActiveEnterTimestamp', 'lvs-ha.service']).stdout;
  const m = /(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})\d* UTC/.exec(out);
  if (!m) throw new Error(`no ActiveEnterTimestamp in ${out}`);
  return Date.parse(`${m[1] ?? ''}T${m[2] ?? ''}Z`);
}

/** Wall time (ms) of the daemon's last log line with this message. */
function logTimeMs(msg: string): number {
  const line = daemonLog().split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).at(-1);
  if (line === undefined) throw new Error(`no "${msg}" in the daemon log`);
  return Date.parse((JSON.parse(line) as { time: string }).time);
}

async function daemonStatus(): Promise<Record<string, unknown>> {
  const reply = await requestControl(c().hostPath('/run/lvs-ha/lvs-ha.sock'), 'status', { timeoutMs: 5000 });
  if (!reply.ok) throw new Error(reply.error.message);
  return reply.result;
}

/** GET /metrics from inside the container's network namespace. */
function scrape(): string {
  const script = `const r = await fetch(${JSON.stringify(METRICS)}); if (r.status !== 200) process.exit(2); process.stdout.write(await r.text());`;
  const out = c().exec([process.execPath, '--input-type=module', '-e', script], 20_000);
  if (out.status !== 0) throw new Error(`scrape failed: ${out.stderr}`);
  return out.stdout;
}

function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no sample ${series}`);
  return Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  expect(process.getuid?.(), 'the netns tier runs as root').toBe(0);
  for (const [src, out] of [['src/daemon/sd-notify.ts', 'dist/daemon/sd-notify.js'], ['src/metrics/check-latency.ts', 'dist/metrics/check-latency.js']] as const) {
    expect(existsSync(join(repo, out)), `${out} is missing: run \`npm run build\` first`).toBe(true);
    expect(statSync(join(repo, out)).mtimeMs, `${out} is older than ${src}: run \`npm run build\``).toBeGreaterThanOrEqual(statSync(join(repo, src)).mtimeMs);
  }
  box = await startSystemdContainer({
    units: {
      'lvs-ha.service': shippedUnit('/run/lvd-test/lvs-ha.yaml'),
      'lvs-ha.service.d/test.conf': dropIn(''),
      // The same daemon as a child of the main process (a shell that does not exec it):
      // under NotifyAccess=main its READY=1 comes from the wrong pid and is dropped.
      'lvs-ha-child.service': shippedUnit('/run/lvd-test/child.yaml')
        .replace(/^ExecStart=(.*)$/m, "ExecStart=/bin/sh -c '$1; exit 0'"),
      'lvs-ha-child.service.d/test.conf': dropIn('TimeoutStartSec=6s\nRestart=no\n'),
    },
    setup: ['ip addr add 10.97.0.21/32 dev lo'],
  });
  mkdirSync(c().hostPath('/run/lvd-test'));
  writeFileSync(c().hostPath('/run/lvd-test/lvs-ha.yaml'), configText('lvd-a', true));
  writeFileSync(c().hostPath('/run/lvd-test/child.yaml'), configText('lvd-child', false));
});

afterAll(async () => {
  await box?.destroy();
});

describe('lvs-ha.service under systemd (Type=notify, NotifyAccess=main)', () => {
  let firstPid = '';

  it('is activating until the daemon sends READY=1, then active with its STATUS', async () => {
    expect(c().systemctl(['start', '--no-block', 'lvs-ha.service']).status).toBe(0);
    const seen: string[] = [];
    await until('active', () => {
      const s = show();
      seen.push(`${s.ActiveState ?? ''}/${s.SubState ?? ''}`);
      return s.ActiveState === 'active';
    }, 60_000);
    // Node takes a while to start: systemd waited for READY=1 in "activating/start".
    expect(seen).toContain('activating/start');
    expect(seen.indexOf('activating/start')).toBeLessThan(seen.indexOf('active/running'));
    const s = show();
    expect(s).toMatchObject({ Type: 'notify', NotifyAccess: 'main', SubState: 'running', StatusText: 'running as lvd-a', NRestarts: '0' });
    firstPid = s.MainPID ?? '';
    expect(Number(firstPid)).toBeGreaterThan(1);
    // systemd entered "active" no earlier than the daemon's last step before READY=1.
    expect(activeEnteredMs()).toBeGreaterThanOrEqual(logTimeMs('metrics listening'));
    // READY=1 came after the first reconcile attempt (no IPVS on this kernel: a recorded connect error).
    const status = await daemonStatus();
    expect(status.node).toBe('lvd-a');
    expect((status.reconcile as { connect_errors: number }).connect_errors).toBeGreaterThanOrEqual(1);
  });

  it('WATCHDOG=1 pings keep it running past two watchdog periods', async () => {
    await new Promise((r) => setTimeout(r, (2 * WATCHDOG_S + 1) * 1000));
    expect(show()).toMatchObject({ ActiveState: 'active', MainPID: firstPid, NRestarts: '0', Result: 'success' });
  });

  it('/metrics has check latency histograms that grow, consistent with the check totals', async () => {
    const first = scrape();
    await new Promise((r) => setTimeout(r, 1000));
    const second = scrape();
    expect(second).toContain('# TYPE lvs_ha_check_latency_seconds histogram\n');
    const ok = 'lvs_ha_check_latency_seconds_count{type="tcp",result="ok"}';
    const fail = 'lvs_ha_check_latency_seconds_count{type="tcp",result="fail"}';
    expect(sample(second, ok)).toBeGreaterThan(sample(first, ok));
    expect(sample(second, fail)).toBeGreaterThan(sample(first, fail));
    // One status snapshot feeds both: the histogram counts add up to the check totals.
    expect(sample(second, ok) + sample(second, fail)).toBe(sample(second, 'lvs_ha_checks_total'));
    expect(sample(second, fail)).toBe(sample(second, 'lvs_ha_check_failures_total'));
    expect(sample(second, 'lvs_ha_check_latency_seconds_bucket{type="tcp",result="ok",le="+Inf"}')).toBe(sample(second, ok));
    // A local connect takes well under 100 ms.
    expect(sample(second, 'lvs_ha_check_latency_seconds_bucket{type="tcp",result="ok",le="0.1"}')).toBe(sample(second, ok));
  });

  it('systemctl reload (SIGHUP: RELOADING=1, then READY=1) keeps the pid and comes back active', async () => {
    const reload = c().systemctl(['reload', 'lvs-ha.service'], 30_000);
    expect(reload.status, reload.stderr).toBe(0);
    await until('reload_count 1', () => daemonLog().includes('"reload_count":1'), 10_000);
    await until('active after reload', () => show().ActiveState === 'active', 10_000);
    expect(show()).toMatchObject({ MainPID: firstPid, StatusText: 'running as lvd-a', NRestarts: '0' });
    expect((await daemonStatus()).reload_count).toBe(1);
  });

  it('a daemon whose pings stop (SIGSTOP) is killed by the watchdog and restarted', async () => {
    expect(c().exec(['kill', '-STOP', firstPid]).status).toBe(0);
    await until('the watchdog verdict', () => show().Result === 'watchdog', (WATCHDOG_S + 10) * 1000);
    await until('the restarted daemon active', () => {
      const s = show();
      return s.ActiveState === 'active' && s.NRestarts === '1';
    }, 60_000);
    expect(show().MainPID).not.toBe(firstPid);
  });

  it('systemctl stop sends it to inactive with result success', () => {
    const stop = c().systemctl(['stop', 'lvs-ha.service'], 30_000);
    expect(stop.status, stop.stderr).toBe(0);
    expect(show()).toMatchObject({ ActiveState: 'inactive', Result: 'success' });
    expect(daemonLog()).toContain('"reason":"SIGTERM","msg":"stopped"');
  });

  it('the same daemon as a child of the main process never becomes active (NotifyAccess=main)', () => {
    const before = daemonLog().split('"node":"lvd-child"').length;
    const start = c().systemctl(['start', 'lvs-ha-child.service'], 60_000);
    expect(start.status).not.toBe(0);
    expect(show('lvs-ha-child.service')).toMatchObject({ ActiveState: 'failed', Result: 'timeout', NotifyAccess: 'main', StatusText: '' });
    // The daemon did start and send READY=1 (no send error logged): systemd dropped it.
    const log = daemonLog();
    expect(log.split('"node":"lvd-child"').length).toBeGreaterThan(before);
    expect(log).not.toContain('sd_notify failed');
  });
});
