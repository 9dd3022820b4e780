// Scale probe of the icmp and udp checks: N real servers on 127.x.y.z (loopback
// answers ICMP echo for all of 127/8; a UDP listener on 0.0.0.0:PORT keeps the
// udp checks silent-and-up), checked by the real HealthService from dist/.
// Run as root in a throwaway namespace (nothing leaves it):
//   ip netns add lvchk-bench && ip -n lvchk-bench link set lo up
//   ip netns exec lvchk-bench node bench/health/proto-scale.js icmp 10000 15
//   ip netns del lvchk-bench
// Prints checks per second, failures by reason, CPU per 1,000 checks, event-loop delay, peak RSS.
import { createSocket } from 'node:dgram';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import { URL } from 'node:url';
import { resourceUsage } from 'node:process';

const [type = 'icmp', nText = '10000', secondsText = '15'] = process.argv.slice(2);
const n = Number(nText);
const seconds = Number(secondsText);
const root = new URL('../../dist/', import.meta.url);
const { HealthService } = await import(new URL('health/service.js', root).href);
const { buildChecker } = await import(new URL('health/checkers/index.js', root).href);
const { systemClock } = await import(new URL('core/clock.js', root).href);

const PORT = 9;
const listener = createSocket('udp4');
await new Promise((resolve) => listener.bind(PORT, '0.0.0.0', resolve));

const timing = { intervalMs: 1000, timeoutMs: 900, rise: 2, fall: 3 };
const check = type === 'icmp'
  ? { type: 'icmp', ...timing, connectAddress: null, count: 1, minReplies: 1 }
  : { type: 'udp', ...timing, connectAddress: null, connectPort: null, bindAddress: null, payloadHex: '70696e67', requireReply: false, expectReply: null, expectReplyHex: null };
const realServers = [];
for (let i = 0; i < n; i++) {
  // distinct addresses 127.S.T.L, L in 1..254: one check per real server (no two merged)
  const address = `127.${1 + Math.floor(i / (254 * 256))}.${Math.floor(i / 254) % 256}.${1 + (i % 254)}`;
  realServers.push({ address: { text: address, family: 'ipv4' }, port: PORT, weight: 1, upperThreshold: 0, lowerThreshold: 0, check });
}
let counted = false;
let results = 0;
const failures = new Map();
const svc = new HealthService({
  clock: systemClock, random: Math.random, scriptUser: null, publish: () => undefined,
  makeChecker: (target, c) => buildChecker(target, c, { now: () => performance.now(), scriptUser: null }),
  onCheckResult: (_t, r) => {
    if (!counted) return;
    results += 1;
    if (!r.ok) failures.set(r.reason, (failures.get(r.reason) ?? 0) + 1);
  },
});
svc.update([{ name: 'bench', key: { kind: 'address', address: { text: '10.0.0.1', family: 'ipv4' }, port: PORT, protocol: 'udp' }, scheduler: 'rr', schedulerFlags: [], persistence: null, forwarding: { method: 'dr' }, onFailure: 'inhibit', quorum: { minUp: 1, hysteresis: 0 }, sorryServer: null, realServers }]);
await new Promise((r) => setTimeout(r, 2000)); // one interval to spread the first runs, then warm-up
const h = monitorEventLoopDelay({ resolution: 10 });
h.enable();
const cpu0 = process.cpuUsage();
counted = true;
await new Promise((r) => setTimeout(r, seconds * 1000));
counted = false;
const cpu = process.cpuUsage(cpu0);
h.disable();
svc.stop();
listener.close();
const cpuS = (cpu.user + cpu.system) / 1e6;
console.log(JSON.stringify({
  type, real_servers: n, seconds,
  checks_per_s: Math.round(results / seconds),
  failures: Object.fromEntries(failures),
  cpu_s_per_1000_checks: Number((cpuS / (results / 1000)).toFixed(3)),
  share_of_a_core: Number((cpuS / seconds).toFixed(2)),
  event_loop_delay_ms: { p50: Number((h.percentile(50) / 1e6).toFixed(1)), p99: Number((h.percentile(99) / 1e6).toFixed(1)), max: Number((h.max / 1e6).toFixed(1)) },
  max_rss_mb: Math.round(resourceUsage().maxRSS / 1024),
}));
process.exit(0);
