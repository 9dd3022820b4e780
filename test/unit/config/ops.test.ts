/** `ops` (one-packet scheduling) on a virtual server: only where the kernel honours it. */
import { describe, expect, test } from 'vitest';
import { serviceOf } from '../../../src/lvs/desired.js';
import { SvcFlag } from '../../../src/lvs/model.js';
import { locate, oneIssue, valid, withVirtualServer } from './helpers.js';

describe('ops', () => {
  test('defaults to off; on a udp service it sets the ONEPACKET flag of the IPVS service', () => {
    const off = valid(withVirtualServer('address: 10.0.0.100\nport: 53\nprotocol: udp')).virtualServers[0];
    expect(off?.ops).toBe(false);
    expect((off ? serviceOf(off).flags : -1) & SvcFlag.ONEPACKET).toBe(0);
    const on = valid(withVirtualServer('address: 10.0.0.100\nport: 53\nprotocol: udp\nops: true')).virtualServers[0];
    expect(on?.ops).toBe(true);
    expect((on ? serviceOf(on).flags : 0) & SvcFlag.ONEPACKET).toBe(SvcFlag.ONEPACKET);
  });

  test('is refused on tcp and sctp services, with the reason and the location of the value', () => {
    for (const protocol of ['tcp', 'sctp']) {
      const text = withVirtualServer(`address: 10.0.0.100\nport: 53\nprotocol: ${protocol}\nops: true`);
      const issue = oneIssue(text);
      expect(issue.message).toBe(`ops (one-packet scheduling) is only for protocol udp: the kernel honours it only for UDP datagrams, and this virtual server is ${protocol}`);
      expect(issue.path).toMatch(/\.ops$/);
      expect({ line: issue.line, column: issue.column }).toEqual(locate(text, 'true', text.indexOf('ops:')));
    }
    // the default protocol is tcp
    expect(oneIssue(withVirtualServer('address: 10.0.0.100\nport: 53\nops: true')).message).toMatch(/this virtual server is tcp$/);
    // ops: false is harmless anywhere
    expect(valid(withVirtualServer('address: 10.0.0.100\nport: 80\nops: false')).virtualServers[0]?.ops).toBe(false);
  });

  test('is accepted on a fwmark service (it applies to the UDP packets of the mark)', () => {
    const v = valid(withVirtualServer('fwmark: 9\nops: true', '- { address: 10.0.0.11, port: 53 }')).virtualServers[0];
    expect(v?.ops).toBe(true);
  });

  test('must be a boolean', () => {
    expect(oneIssue(withVirtualServer('address: 10.0.0.100\nport: 53\nprotocol: udp\nops: yes please')).message).toMatch(/^must be/);
  });
});
