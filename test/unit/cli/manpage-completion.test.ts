/**
 * lvs-ha(8) and the shell completion are generated from the verb table: every
 * verb and every flag of its --help is in both, the completion really
 * completes them in bash, and the packaged sample config is valid.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bashCompletion, namesFromStatus, runComplete, zshCompletion } from '../../../src/cli/completion.js';
import { flagValues, verbFlags, verbSubcommands } from '../../../src/cli/introspect.js';
import { LVS_HA_VERSION, main } from '../../../src/cli/main.js';
import { renderManPage } from '../../../src/cli/manpage.js';
import { verbs } from '../../../src/cli/verbs/index.js';
import { loadConfigFile } from '../../../src/config/load.js';

const repo = resolve(import.meta.dirname, '../../..');

function capture(): { io: { stdout: (t: string) => void; stderr: (t: string) => void }; out: () => string } {
  let text = '';
  return { io: { stdout: (t) => { text += t; }, stderr: (t) => { text += t; } }, out: () => text };
}

/** What bash completes for the words typed so far (the last one is being completed). */
function complete(script: string, typed: readonly string[]): string[] {
  const words = ['lvs-ha', ...typed].map((w) => `'${w}'`).join(' ');
  const program = `${script}\nCOMP_WORDS=(${words}); COMP_CWORD=${typed.length}; _lvs_ha; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('/bin/bash', ['--norc', '--noprofile', '-c', program], { encoding: 'utf8', env: { PATH: '/nonexistent' } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('the verb table, read from each --help', () => {
  it('finds the flags and subcommands the help texts name', () => {
    const byName = new Map(verbs.map((v) => [v.name, v]));
    const v = (name: string) => { const verb = byName.get(name); if (!verb) throw new Error(name); return verb; };
    expect(verbFlags(v('status'))).toEqual(['--json', '--socket', '--connections', '--virtual-server', '--state', '--limit']);
    expect(verbFlags(v('import-keepalived'))).toEqual(['-o', '--config-id', '--output', '--node']);
    expect(verbSubcommands(v('lab'))).toEqual(['up', 'status', 'drill', 'chaos', 'down']);
    expect(verbSubcommands(v('maintenance'))).toEqual(['on', 'off']);
    expect(verbFlags(v('maintenance'))).toContain('--wait');
    expect(verbSubcommands(v('drill'))).toEqual(['failover']);
    expect(flagValues(v('lab')).get('--mode')?.choices).toEqual(['dr', 'nat', 'tun', 'fullnat', 'ecmp']);
    expect(flagValues(v('run')).get('--config')?.placeholders).toEqual(['FILE']);
    // A flag named in a description ("the director's --tun-port") is not one of the verb's.
    expect(verbFlags(v('real-server'))).not.toContain('--tun-port');
  });

  it('the version is package.json\'s', async () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
    expect(LVS_HA_VERSION).toBe(pkg.version);
    const c = capture();
    expect(await main(['--version'], c.io)).toBe(0);
    expect(c.out()).toBe(`lvs-ha ${pkg.version}\n`);
  });
});

describe('lvs-ha(8)', () => {
  const page = renderManPage(verbs, '9.9.9', '2026-01-02');
  const unescaped = page.replace(/\\-/g, '-').replace(/\\e/g, '\\');

  it('has every verb as a section and in the verb list, with every flag of its help', () => {
    for (const verb of verbs) {
      expect(page).toContain(`.SS ${verb.name.replace(/-/g, '\\-')}\n`);
      expect(page).toContain(`\\fB${verb.name.replace(/-/g, '\\-')}\\fR\n`);
      for (const flag of verbFlags(verb)) expect(unescaped, `${verb.name} ${flag}`).toContain(flag);
      expect(unescaped).toContain(verb.help.trimEnd().split('\n')[0]);
    }
  });

  it('is well-formed roff: a TH line, NAME, no line starting with a stray control character', () => {
    expect(page.startsWith('.TH LVS\\-HA 8 "2026-01-02" "lvs\\-ha 9.9.9"')).toBe(true);
    expect(page).toMatch(/^\.SH NAME\nlvs\\-ha \\- /m);
    for (const line of page.split('\n')) {
      if (line.startsWith('.')) expect(line, line).toMatch(/^\.(TH|SH|SS|PP|RS|RE|nf|fi|TP|br|B|I)( |$)/);
      expect(line.startsWith("'"), line).toBe(false);
    }
  });

  it('is what the hidden __man verb prints; __man and __complete stay out of --help', async () => {
    const c = capture();
    expect(await main(['__man', '2026-01-02'], c.io)).toBe(0);
    expect(c.out()).toBe(renderManPage(verbs, LVS_HA_VERSION, '2026-01-02'));
    const h = capture();
    await main(['--help'], h.io);
    expect(h.out()).not.toMatch(/__man|__complete/);
  });
});

describe('bash completion', () => {
  const script = bashCompletion(verbs);

  it('passes bash -n', () => {
    const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('completes every verb, then every flag and subcommand of each', () => {
    expect(complete(script, [''])).toEqual(expect.arrayContaining([...verbs.map((v) => v.name), '--help', '--version']));
    expect(complete(script, ['dr'])).toEqual(['drain', 'drill']);
    for (const verb of verbs) {
      const flags = complete(script, [verb.name, '-']);
      for (const flag of verbFlags(verb)) expect(flags, `${verb.name} ${flag}`).toContain(flag);
      expect(flags).toContain('--help');
      const subs = verbSubcommands(verb);
      if (subs.length > 0) expect(complete(script, [verb.name, ''])).toEqual(subs);
    }
  });

  it('completes flag values: choices, and names from the daemon (none when it does not answer)', () => {
    expect(complete(script, ['lab', 'up', '--mode', ''])).toEqual(['dr', 'nat', 'tun', 'fullnat', 'ecmp']);
    expect(complete(script, ['real-server', 'up', '--tun-type', ''])).toEqual([]);
    expect(complete(script, ['drain', '--virtual-server', ''])).toEqual([]);
  });

  it('is what `lvs-ha __complete bash` prints; `__complete zsh` prints the zsh file', async () => {
    const c = capture();
    expect(await runComplete(['bash'], verbs, c.io)).toBe(0);
    expect(c.out()).toBe(script);
    const z = capture();
    expect(await runComplete(['zsh'], verbs, z.io)).toBe(0);
    expect(z.out()).toBe(zshCompletion(verbs));
    expect(z.out()).toMatch(/^#compdef lvs-ha\n/);
    const bad = capture();
    expect(await runComplete(['fish'], verbs, bad.io)).toBe(2);
  });

  it('names from a status result: virtual servers, real servers as ADDRESS:PORT, instances', async () => {
    const status = {
      instances: [{ name: 'web' }],
      virtual_servers: [
        { name: 'http', real_servers: [{ address: '10.0.0.11', port: 80 }, { address: '2001:db8::1', port: 80 }] },
        { name: 'https', real_servers: [{ address: '10.0.0.11', port: 443 }] },
      ],
    };
    expect(namesFromStatus(status, 'virtual-servers')).toEqual(['http', 'https']);
    expect(namesFromStatus(status, 'real-servers')).toEqual(['10.0.0.11:80', '[2001:db8::1]:80', '10.0.0.11:443']);
    expect(namesFromStatus(status, 'instances')).toEqual(['web']);
    const c = capture();
    expect(await runComplete(['names', 'virtual-servers', '--socket', '/nonexistent/control.sock'], verbs, c.io)).toBe(0);
    expect(c.out()).toBe('');
  });
});

/**
 * An interactive zsh in a pseudo-terminal (zsh/zpty), with the completion file on its fpath and
 * compinit: each line is typed, then a key bound to a widget that runs complete-word and records
 * how many matches zsh found and the line after completion. Returns "MATCHES [BUFFER]" per line.
 */
const ZSH_DRIVER = String.raw`
zmodload zsh/zpty
dir=$1; out=$dir/out; : > $out
zpty z 'zsh -f -i'
zpty -w z "PS1='> '; fpath=($dir \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "record() { print -r -- \"\$compstate[nmatches]\" >> $out; }; probe() { comppostfuncs=(record); zle complete-word; print -r -- \"[\$BUFFER]\" >> $out; BUFFER=''; }; zle -N probe; bindkey '^T' probe"
for line in "$@[2,-1]"; do zpty -w -n z "$line"$'\x14'; done
zpty -w z "print -r -- DONE >> $out"
for i in {1..200}; do grep -q '^DONE$' $out && break; sleep 0.05; done
zpty -d z
cat $out
`;

function zshComplete(file: string, lines: readonly string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-ha-zsh-'));
  try {
    writeFileSync(join(dir, '_lvs-ha'), file);
    const r = spawnSync('zsh', ['-f', '-c', ZSH_DRIVER, 'zsh', dir, ...lines], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: dir }, timeout: 30_000 });
    expect(r.status, `zsh (Debian package zsh; test/setup-host.sh): ${r.stderr}${String(r.error ?? '')}`).toBe(0);
    const out = r.stdout.split('\n').filter((l) => l !== '');
    expect(out.at(-1)).toBe('DONE');
    const pairs: string[] = [];
    for (let i = 0; i + 1 < out.length - 1; i += 2) pairs.push(`${out[i] ?? ''} ${out[i + 1] ?? ''}`);
    return pairs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('zsh completion', () => {
  const typed = ['lvs-ha chec', 'lvs-ha dr', 'lvs-ha lab ', 'lvs-ha lab up --mode n', 'lvs-ha status --js', 'lvs-ha check-config --j'];

  it('completes in a real zsh from the first TAB on: verbs, subcommands, flag choices, flags', () => {
    const lab = verbs.find((v) => v.name === 'lab');
    if (!lab) throw new Error('no lab verb');
    expect(zshComplete(zshCompletion(verbs), typed)).toEqual([
      '1 [lvs-ha check-config ]',
      '2 [lvs-ha dr]',
      `${verbSubcommands(lab).length} [lvs-ha lab ]`,
      '1 [lvs-ha lab up --mode nat ]',
      '1 [lvs-ha status --json ]',
      '1 [lvs-ha check-config --json ]',
    ]);
  });

  it('without its last line (what the file was before), the first TAB of a shell completes nothing', () => {
    const old = zshCompletion(verbs).replace(/\n_bash_complete -F _lvs_ha "\$@"\n$/, '\n');
    expect(old).not.toBe(zshCompletion(verbs));
    const [first, ...rest] = zshComplete(old, typed);
    expect(first).toBe('0 [lvs-ha chec]');
    expect(rest[0]).toBe('2 [lvs-ha dr]');
  });
});

describe('the packaged sample /etc/lvs-ha/lvs-ha.yaml', () => {
  it('passes check-config as shipped', async () => {
    const result = await loadConfigFile(join(repo, 'packaging', 'deb', 'lvs-ha.yaml'));
    expect(result.ok, JSON.stringify(result)).toBe(true);
  });
});
