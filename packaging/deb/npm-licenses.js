// The npm packages bundled under /usr/lib/lvs-ha/node_modules and their licenses:
//   node npm-licenses.js DIR list             one " name version: license" line each (copyright file)
//   node npm-licenses.js DIR check LIC...     exit 1 naming any package under another license
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [dir, mode, ...allowed] = process.argv.slice(2);

function* packages(root) {
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const path = join(root, entry.name);
    if (entry.name.startsWith('@')) {
      yield* packages(path);
      continue;
    }
    const manifest = join(path, 'package.json');
    if (existsSync(manifest)) {
      const p = JSON.parse(readFileSync(manifest, 'utf8'));
      if (p.name && p.version) yield { name: p.name, version: p.version, license: typeof p.license === 'string' ? p.license : JSON.stringify(p.license ?? null) };
    }
    if (existsSync(join(path, 'node_modules'))) yield* packages(join(path, 'node_modules'));
  }
}

const all = [...packages(dir)].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
if (mode === 'list') {
  for (const p of all) console.log(` ${p.name} ${p.version}: ${p.license}`);
} else if (mode === 'check') {
  const bad = all.filter((p) => !allowed.includes(p.license));
  for (const p of bad) console.error(`npm-licenses: ${p.name} ${p.version} is under ${p.license}: add that license to packaging/deb/copyright handling`);
  process.exitCode = bad.length === 0 ? 0 : 1;
} else {
  console.error('usage: node npm-licenses.js DIR list | check LICENSE...');
  process.exitCode = 2;
}
