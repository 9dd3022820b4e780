/** docs/configuration.md documents every key the loader accepts, and its defaults match the code. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ALERT_EVENTS } from '../../../src/config/alerts.js';
import { KEYS } from '../../../src/config/keys.js';
import { SCHEDULERS } from '../../../src/config/virtual-servers.js';
import { valid } from './helpers.js';

const docs = await readFile(join(import.meta.dirname, '../../../docs/configuration.md'), 'utf8');

function documented(word: string): boolean {
  return new RegExp(`\`(?:[a-z_]+\\.)*${word}[\`.]`).test(docs);
}

describe('docs/configuration.md', () => {
  test.each(Object.entries(KEYS))('every key of %s is documented', (_section, keys) => {
    const missing = keys.filter((k) => !documented(k));
    expect(missing).toEqual([]);
  });

  test('every scheduler and alert event is listed', () => {
    expect(SCHEDULERS.filter((s) => !documented(s))).toEqual([]);
    expect(ALERT_EVENTS.filter((e) => !documented(e))).toEqual([]);
  });

  test('the documented defaults are the applied defaults', () => {
    const c = valid('node: d\nvrrp:\n  instances: [{ name: w, interface: eth0, vrid: 1, virtual_addresses: [10.0.0.1] }]\n');
    const i = c.vrrp.instances[0];
    expect(docs).toContain(`| \`socket\` | path | \`${c.control.socketPath}\` |`);
    expect(docs).toContain(`| \`ipv4_checksum\` | \`rfc5798\` \\| \`rfc9568\` | \`${c.vrrp.ipv4Checksum}\` |`);
    expect(docs).toContain(`| \`ipv6_addresses\` | \`rfc9568\` \\| \`keepalived\` | \`${c.vrrp.ipv6Addresses}\` |`);
    expect(docs).toContain(`| \`priority\` | integer 1..255 | \`${i?.priority ?? 0}\` |`);
    expect(docs).toContain(`| \`advert_interval\` | duration 10ms..40950ms, whole centiseconds | \`${(i?.advertIntervalMs ?? 0) / 1000}s\` |`);
    expect(docs).toContain(`| \`repeat\` | integer 1..100 | \`${i?.announce.repeat ?? 0}\` |`);
    expect(docs).toContain(`| \`interval\` | duration 0s..10s | \`${i?.announce.intervalMs ?? 0}ms\` |`);
    expect(docs).toContain(`| \`timeouts.tcp\` | duration, whole seconds, 1s..2147483s | \`${c.ipvs.timeouts.tcpS}s\` |`);
    expect(docs).toContain(`| \`user\` | system user name | \`${c.scripts.user}\` |`);
  });
});
