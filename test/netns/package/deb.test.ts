/**
 * The Debian package, proven in a clean Debian 12 root (issue 15):
 *
 * - `packaging/deb/build.sh` builds the .deb from this checkout; lintian reports no error;
 * - a minbase bookworm root made by mmdebstrap from the apt sources this machine uses
 *   (cached as a tarball under /var/cache/lvs-ha-test, keyed by those sources, so a second
 *   run only unpacks it), plus the two tools the checks need (systemd for systemd-analyze,
 *   man-db for man -w); apt installs the .deb there, taking its dependencies from Debian;
 * - inside: `lvs-ha --version`, `check-config` of the installed sample, every native addon
 *   loads in the bundled runtime, `man -w`, `systemd-analyze verify` of the installed units,
 *   the bash completion, the script user;
 * - the maintainer scripts never start, restart or enable a unit on install or upgrade
 *   (systemctl is diverted to a recorder), an operator's enable survives an upgrade;
 * - remove keeps the conffiles (changed or not), purge removes every file of the package
 *   (dpkg removes conffiles on purge, changed ones too) and leaves only what the operator added.
 *
 * Root, the host kernel, no IPVS: the netns tier. Nothing runs in the host's own
 * namespaces but dpkg-deb, lintian and mmdebstrap; the chroot gets a private /proc in a
 * private mount namespace (`unshare --mount`), so nothing stays mounted.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
const cacheDir = process.env.LVS_HA_TEST_ROOT_CACHE ?? '/var/cache/lvs-ha-test';
const SOURCES = '/etc/apt/sources.list.d/debian.sources';
const INCLUDE = ['systemd', 'man-db'];
const MINUTE = 60_000;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let work: string;
let root: string;
let deb: string;
const timings: Record<string, number> = {};

function sh(argv: readonly string[], timeoutMs = 10 * MINUTE): Run {
  const [cmd, ...args] = argv;
  const r = spawnSync(cmd ?? 'false', args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: `${r.stderr}${r.error ? String(r.error) : ''}` };
}

function ok(r: Run, what: string): string {
  expect(r.status, `${what}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** A shell command inside the root: private mount namespace with its own /proc, clean environment. */
function inRoot(script: string, timeoutMs = 5 * MINUTE): Run {
  const env = 'env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive';
  return sh(['unshare', '--mount', '--fork', 'sh', '-c', `mount -t proc proc "$1/proc" && exec chroot "$1" ${env} sh -c "$2"`, 'sh', root, script], timeoutMs);
}

function timed<T>(name: string, f: () => T): T {
  const t0 = Date.now();
  try {
    return f();
  } finally {
    timings[name] = Date.now() - t0;
  }
}

/** The minbase root as a tarball, made once per set of apt sources. */
function baseRootTarball(): string {
  const version = sh(['mmdebstrap', '--version']);
  expect(version.status, 'mmdebstrap must be installed (Debian package mmdebstrap; test/setup-host.sh)').toBe(0);
  const key = createHash('sha256').update(readFileSync(SOURCES)).update(INCLUDE.join(',')).update(version.stdout).digest('hex').slice(0, 16);
  const tarball = join(cacheDir, `bookworm-minbase-${key}.tar`);
  if (existsSync(tarball)) return tarball;
  mkdirSync(cacheDir, { recursive: true });
  const partial = join(cacheDir, `partial-${process.pid}-${basename(tarball)}`); // mmdebstrap picks the format by the name: .tar
  timed('mmdebstrap', () => ok(sh(['mmdebstrap', '--quiet', '--variant=minbase', `--include=${INCLUDE.join(',')}`, 'bookworm', partial, SOURCES], 20 * MINUTE), 'mmdebstrap'));
  renameSync(partial, tarball);
  return tarball;
}

beforeAll(() => {
  work = mkdtempSync(join(process.env.LVS_HA_TEST_TMP ?? tmpdir(), 'lvd-deb-'));
  const built = timed('build', () => ok(sh(['bash', join(repo, 'packaging', 'deb', 'build.sh'), join(work, 'out')], 10 * MINUTE), 'packaging/deb/build.sh'));
  deb = built.trim().split('\n').at(-1) ?? '';
  const tarball = baseRootTarball();
  root = join(work, 'root');
  mkdirSync(root);
  timed('unpack', () => ok(sh(['tar', '-C', root, '-xf', tarball]), 'unpack the root'));
  copyFileSync('/etc/resolv.conf', join(root, 'etc', 'resolv.conf'));
  copyFileSync(deb, join(root, 'tmp', basename(deb)));
  // Every systemctl call by a maintainer script is recorded, whatever PATH apt gives dpkg;
  // /run/systemd/system makes the scripts behave as on a booted machine.
  ok(inRoot(`dpkg-divert --quiet --local --rename --add /usr/bin/systemctl
    printf '#!/bin/sh\\necho "$*" >> /var/log/systemctl-calls\\n' > /usr/bin/systemctl && chmod 0755 /usr/bin/systemctl
    mkdir -p /run/systemd/system`), 'divert systemctl');
}, 40 * MINUTE);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  console.log(`package test timings (ms): ${JSON.stringify(timings)}`);
});

function systemctlCalls(): string[] {
  const r = inRoot('cat /var/log/systemctl-calls 2>/dev/null; rm -f /var/log/systemctl-calls');
  return r.stdout.split('\n').filter((l) => l !== '');
}

function wants(): string[] {
  return inRoot('ls /etc/systemd/system/multi-user.target.wants/').stdout.split('\n').filter((l) => l.includes('lvs-ha'));
}

describe('the .deb', () => {
  it('is named lvs-ha_<version>_<arch>.deb and lintian finds no error', () => {
    const arch = ok(sh(['dpkg', '--print-architecture']), 'arch').trim();
    expect(basename(deb)).toBe(`lvs-ha_${pkg.version}-1_${arch}.deb`);
    const control = ok(sh(['dpkg-deb', '-f', deb, 'Depends']), 'dpkg-deb -f');
    // Only Debian packages: no nodejs.
    expect(control).not.toMatch(/nodejs/);
    // nft carries the FULLNAT SNAT, accept_mode and IPv6 VMAC chains: recommended, not required.
    expect(ok(sh(['dpkg-deb', '-f', deb, 'Recommends']), 'dpkg-deb -f Recommends').trim()).toBe('nftables');
    const lintian = timed('lintian', () => sh(['lintian', '--no-tag-display-limit', deb], 10 * MINUTE));
    const errors = lintian.stdout.split('\n').filter((l) => l.startsWith('E:'));
    expect(errors, lintian.stdout).toEqual([]);
  }, 15 * MINUTE);

  it('installs with apt from Debian\'s repositories alone, starting and enabling nothing', () => {
    timed('install', () => ok(inRoot(`apt-get update -qq && apt-get install -y -qq --no-install-recommends /tmp/${basename(deb)}`, 10 * MINUTE), 'apt-get install'));
    const calls = systemctlCalls();
    expect(calls).toContain('--system daemon-reload');
    expect(calls.filter((c) => c.includes('lvs-ha')), calls.join('\n')).toEqual([]);
    expect(wants()).toEqual([]);
    expect(ok(inRoot('getent passwd lvs-ha-script'), 'script user')).toMatch(/^lvs-ha-script:x:\d+:\d+:[^:]*:\/nonexistent:\/usr\/sbin\/nologin$/m);
    expect(inRoot('command -v node nodejs').stdout).toBe('');
  }, 15 * MINUTE);

  it('runs: --version, check-config of the installed sample, every native addon in the bundled runtime', () => {
    expect(ok(inRoot('lvs-ha --version'), '--version')).toBe(`lvs-ha ${pkg.version}\n`);
    expect(ok(inRoot('lvs-ha check-config /etc/lvs-ha/lvs-ha.yaml'), 'check-config')).toMatch(/^\/etc\/lvs-ha\/lvs-ha\.yaml: ok: /);
    const addons = ok(inRoot('find /usr/lib/lvs-ha -name "*.node"'), 'find addons').trim().split('\n');
    expect(addons.length).toBeGreaterThanOrEqual(3);
    const load = addons.map((a) => `require(${JSON.stringify(a)})`).join(';');
    ok(inRoot(`/usr/lib/lvs-ha/node -e '${load}; require("/usr/lib/lvs-ha/node_modules/raw-socket"); console.log(process.version)'`), 'load the addons');
    // The daemon's control client answers sensibly without a daemon (no crash of the runtime).
    const status = inRoot('lvs-ha status');
    expect(status.status).toBe(1);
    expect(status.stderr).toMatch(/control\.sock/);
  });

  it('runs the director on the installed sample: MASTER with its VIP, status answers, SIGTERM takes the VIP away', () => {
    // The sample's interface eth0 with its address, in a network namespace of this test only
    // (a veth pair: the host kernel may have no dummy module); the daemon runs in the chroot.
    writeFileSync(join(root, 'tmp', 'daemon-check.sh'), `lvs-ha run --config /etc/lvs-ha/lvs-ha.yaml > /tmp/run.log 2>&1 &
pid=$!
i=0
while [ $i -lt 60 ]; do
  sleep 0.5; i=$((i+1))
  lvs-ha status --json 2>/dev/null | grep -q '"state": "MASTER"' && break
done
lvs-ha status
echo "vip while running: $(grep -q 192.0.2.100 /proc/net/fib_trie && echo yes || echo no)"
kill -TERM $pid
wait $pid
echo "exit: $?"
`);
    const env = 'env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8';
    const setup = 'ip link set lo up && ip link add eth0 type veth peer name eth0p && ip addr add 192.0.2.2/24 dev eth0 && ip link set eth0 up && ip link set eth0p up';
    const r = sh(['unshare', '--mount', '--net', '--fork', 'sh', '-c',
      `${setup} && mount -t proc proc "$1/proc" && chroot "$1" ${env} sh /tmp/daemon-check.sh && echo "after stop: $(ip -4 -o addr show dev eth0 | awk '{print $4}' | tr '\\n' ' ')"`, 'sh', root], 2 * MINUTE);
    const out = ok(r, 'the daemon in the chroot');
    expect(out).toMatch(/^\s+web\s+MASTER\s+150\s+150\s+eth0\s+51\s+192\.0\.2\.2\s+192\.0\.2\.100\/24$/m);
    expect(out).toMatch(/vrrp isolate:\s+\{"running":true/);
    expect(out).toMatch(/^vip while running: yes$/m);
    expect(out).toMatch(/^exit: 0$/m);
    expect(out).toMatch(/^after stop: 192\.0\.2\.2\/24 $/m);
  });

  it('has its man pages, bash completion and units that systemd-analyze verify accepts', () => {
    expect(ok(inRoot('man -w lvs-ha'), 'man -w lvs-ha').trim()).toBe('/usr/share/man/man8/lvs-ha.8.gz');
    expect(ok(inRoot('man -w 5 lvs-ha.yaml'), 'man -w lvs-ha.yaml').trim()).toBe('/usr/share/man/man5/lvs-ha.yaml.5.gz');
    const page = ok(inRoot('MANWIDTH=100 man lvs-ha 2>&1 | cat'), 'man lvs-ha');
    expect(page).toMatch(/check-config/);
    expect(ok(inRoot('bash -c ". /usr/share/bash-completion/completions/lvs-ha && complete -p lvs-ha"'), 'completion')).toMatch(/-F _lvs_ha lvs-ha/);
    expect(ok(inRoot('head -1 /usr/share/zsh/vendor-completions/_lvs-ha'), 'zsh completion')).toBe('#compdef lvs-ha\n');
    const verify = inRoot('systemd-analyze verify /lib/systemd/system/lvs-ha.service /lib/systemd/system/lvs-ha-real-server.service 2>&1');
    expect(verify.stdout.split('\n').filter((l) => l.includes('lvs-ha')), verify.stdout).toEqual([]);
    expect(verify.status, verify.stdout).toBe(0);
    const unit = ok(inRoot('cat /lib/systemd/system/lvs-ha.service'), 'unit');
    expect(unit).toMatch(/^ExecStartPre=\/usr\/bin\/lvs-ha check-config \/etc\/lvs-ha\/lvs-ha\.yaml$/m);
    expect(ok(inRoot('cat /var/lib/dpkg/info/lvs-ha.conffiles'), 'conffiles').split('\n').sort()).toEqual(['', '/etc/default/lvs-ha', '/etc/lvs-ha/lvs-ha.yaml']);
  });

  it('has the JSON Schema of the config where the sample and the examples point editors', () => {
    const modeline = '# yaml-language-server: $schema=/usr/share/lvs-ha/lvs-ha.schema.json';
    expect(ok(inRoot('head -1 /etc/lvs-ha/lvs-ha.yaml'), 'sample modeline').trim()).toBe(modeline);
    const examples = ok(inRoot('grep -L -x -F "' + modeline.replace(/\$/g, '\\$') + '" /usr/share/doc/lvs-ha/examples/*.yaml; ls /usr/share/doc/lvs-ha/examples | wc -l'), 'examples modeline');
    expect(examples.trim()).toMatch(/^\d+$/);
    expect(Number(examples.trim())).toBeGreaterThanOrEqual(5);
    const schema = JSON.parse(ok(inRoot('cat /usr/share/lvs-ha/lvs-ha.schema.json'), 'schema')) as { $schema: string; definitions: Record<string, unknown> };
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(readFileSync(join(repo, 'lvs-ha.schema.json'), 'utf8')).toBe(`${JSON.stringify(schema, null, 2)}\n`);
  });

  it('an upgrade (reinstall) neither starts nor restarts; a unit the operator enabled stays enabled', () => {
    ok(inRoot('systemctl.distrib --root=/ enable lvs-ha.service'), 'operator enables');
    expect(wants()).toEqual(['lvs-ha.service']);
    systemctlCalls();
    ok(inRoot(`dpkg -i /tmp/${basename(deb)}`), 'reinstall');
    const calls = systemctlCalls();
    expect(calls.filter((c) => /start|restart|reload-or|try-restart|enable|stop/.test(c)), calls.join('\n')).toEqual([]);
    expect(wants()).toEqual(['lvs-ha.service']);
  });

  it('remove keeps the conffiles; purge removes every file of the package and keeps what the operator added', () => {
    const files = ok(inRoot('dpkg-query -L lvs-ha'), 'dpkg -L').split('\n').filter((f) => f.startsWith('/'));
    ok(inRoot(`echo '# changed by the operator' >> /etc/lvs-ha/lvs-ha.yaml
      echo 'real_server: {}' > /etc/lvs-ha/real-server.yaml
      mkdir -p /var/lib/lvs-ha && echo '{}' > /var/lib/lvs-ha/real-server.json`), 'operator files');
    ok(inRoot('apt-get remove -y -qq lvs-ha'), 'remove');
    expect(systemctlCalls().filter((c) => c.includes('stop'))).toEqual(['stop lvs-ha.service lvs-ha-real-server.service']);
    expect(ok(inRoot('ls /etc/lvs-ha /etc/default/lvs-ha'), 'after remove')).toMatch(/lvs-ha\.yaml/);
    expect(inRoot('test -e /usr/bin/lvs-ha || test -e /usr/lib/lvs-ha').status).not.toBe(0);
    ok(inRoot('apt-get purge -y -qq lvs-ha'), 'purge');
    const left = ok(inRoot(`for f in ${files.map((f) => `'${f}'`).join(' ')}; do if [ -e "$f" ] && [ ! -d "$f" ]; then echo "$f"; fi; done`), 'left files');
    expect(left).toBe('');
    // Directories of the package are gone too, but those shared with the system.
    const dirsLeft = ok(inRoot(`for f in ${files.map((f) => `'${f}'`).join(' ')}; do if [ -d "$f" ]; then echo "$f"; fi; done`), 'left dirs').split('\n').filter((d) => d.includes('lvs-ha'));
    expect(dirsLeft).toEqual(['/etc/lvs-ha']);
    expect(ok(inRoot('ls -A /etc/lvs-ha'), 'operator file kept')).toBe('real-server.yaml\n');
    expect(inRoot('test -e /var/lib/lvs-ha').status).not.toBe(0);
    expect(inRoot('ls /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked 2>/dev/null').stdout).not.toMatch(/lvs-ha/);
    expect(wants()).toEqual([]);
  });
});

describe('npm pack + npm install -g of the tarball', () => {
  it('gives a working lvs-ha with its native addon built from the packed source', () => {
    const dir = join(work, 'npm');
    mkdirSync(dir);
    const packed = timed('npm pack', () => ok(sh(['npm', 'pack', repo, '--pack-destination', dir, '--loglevel=error'], 10 * MINUTE), 'npm pack'));
    const tgz = join(dir, packed.trim().split('\n').at(-1) ?? '');
    const list = ok(sh(['tar', '-tzf', tgz]), 'tar -t');
    for (const f of ['package/binding.gyp', 'package/src/native/lvsha_net.c', 'package/bin/lvs-ha.js', 'package/dist/cli/main.js', 'package/systemd/lvs-ha.service', 'package/lvs-ha.schema.json']) expect(list).toContain(f);
    const prefix = join(dir, 'prefix');
    timed('npm install -g', () => ok(sh(['npm', 'install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tgz], 10 * MINUTE), 'npm install -g'));
    expect(ok(sh([join(prefix, 'bin', 'lvs-ha'), '--version']), 'lvs-ha --version')).toBe(`lvs-ha ${pkg.version}\n`);
    const installed = join(prefix, 'lib', 'node_modules', 'lvs-ha');
    expect(readdirSync(join(installed, 'build', 'Release'))).toContain('lvsha_net.node');
    ok(sh([process.execPath, '-e', `require(${JSON.stringify(join(installed, 'build', 'Release', 'lvsha_net.node'))})`]), 'load the addon');
    // The installed examples pass check-config and name a schema that is there (relative to configs/).
    const example = join(installed, 'configs', 'director-a.yaml');
    expect(ok(sh([join(prefix, 'bin', 'lvs-ha'), 'check-config', example]), 'check-config')).toMatch(/: ok: /);
    const modeline = /^# yaml-language-server: \$schema=(\S+)$/m.exec(readFileSync(example, 'utf8'))?.[1] ?? '';
    expect(existsSync(resolve(join(installed, 'configs'), modeline)), modeline).toBe(true);
    writeFileSync(join(dir, 'done'), '');
  }, 20 * MINUTE);
});
