/** `forwarding: fullnat`: what it needs (local addresses) and what it refuses, with the reasons. */
import { describe, expect, test } from 'vitest';
import { desiredTable, staticHealthView } from '../../../src/lvs/desired.js';
import { invalid, locate, oneIssue, valid, withVirtualServer } from './helpers.js';

const ADDR = 'address: 192.0.2.10\nport: 80';
const FN = `${ADDR}\nforwarding: fullnat\nfullnat:\n  local_addresses: [10.0.2.1, 10.0.2.2]\n  interface: eth2`;

describe('forwarding fullnat', () => {
  test('local addresses and the interface are read; IPVS forwards by masquerading', () => {
    const c = valid(withVirtualServer(FN, '- { address: 10.20.0.11, port: 8080 }'));
    const v = c.virtualServers[0];
    expect(v?.forwarding).toEqual({
      method: 'fullnat',
      localAddresses: [{ text: '10.0.2.1', family: 'ipv4' }, { text: '10.0.2.2', family: 'ipv4' }],
      interface: 'eth2',
    });
    // fullnat maps ports like nat
    expect(v?.realServers[0]?.port).toBe(8080);
    const t = desiredTable(c, staticHealthView({}), 'BACKUP', {});
    expect(t.services[0]?.destinations[0]?.fwd).toBe('masq');
  });

  test('the interface is optional', () => {
    const c = valid(withVirtualServer(`${ADDR}\nforwarding: fullnat\nfullnat: { local_addresses: [10.0.2.1] }`));
    expect(c.virtualServers[0]?.forwarding).toMatchObject({ method: 'fullnat', interface: null });
  });

  test('without local addresses: an error that says what they are and what the real servers will see', () => {
    const e = oneIssue(withVirtualServer(`${ADDR}\nforwarding: fullnat`));
    expect(e.message).toContain("missing required key 'fullnat'");
    expect(e.message).toContain('local addresses (LIP)');
    expect(e.message).toContain('instead of the client\'s address');
    expect(oneIssue(withVirtualServer(`${ADDR}\nforwarding: fullnat\nfullnat: { interface: eth2 }`)).message)
      .toContain("missing required key 'local_addresses'");
    expect(oneIssue(withVirtualServer(`${ADDR}\nforwarding: fullnat\nfullnat: { local_addresses: [] }`)).message)
      .toContain('must list at least one address');
  });

  test('the fullnat mapping only with forwarding fullnat, and tun keys not with it', () => {
    expect(oneIssue(withVirtualServer(`${ADDR}\nforwarding: nat\nfullnat: { local_addresses: [10.0.2.1] }`)).message)
      .toBe("'fullnat' is not allowed with forwarding nat (only with forwarding fullnat)");
    expect(oneIssue(withVirtualServer(`${FN}\ntun_type: ipip`)).message)
      .toBe("'tun_type' is not allowed with forwarding fullnat (only with forwarding tun)");
  });

  test('local addresses: unicast, the service family, not the VIP, no duplicates, not a real server', () => {
    const text = withVirtualServer(`${ADDR}\nforwarding: fullnat\nfullnat: { local_addresses: ["2001:db8::1", 192.0.2.10, 10.0.2.1, 10.0.2.1, 224.0.0.5] }`, '- { address: 10.0.2.1 }');
    const messages = invalid(text).map((e) => e.message);
    expect(messages).toEqual(expect.arrayContaining([
      expect.stringContaining('must be an IPv4 address like the virtual server') as unknown,
      expect.stringContaining('cannot be the virtual server\'s own address') as unknown,
      expect.stringContaining('duplicate local address 10.0.2.1') as unknown,
      expect.stringContaining('must be a unicast host address') as unknown,
      expect.stringContaining('a real server cannot be one of the fullnat local addresses') as unknown,
    ]));
    const e = invalid(text).find((i) => i.message.includes('IPv4 address like'));
    expect(e?.line).toBe(locate(text, '2001:db8::1').line);
  });

  test('a fwmark service cannot be fullnat (the SNAT rule matches the original destination)', () => {
    const msgs = invalid(withVirtualServer('fwmark: 7\nforwarding: fullnat\nfullnat: { local_addresses: [10.0.2.1] }', '- { address: 10.0.0.11, port: 80 }')).map((e) => e.message);
    expect(msgs).toEqual([expect.stringContaining('forwarding fullnat needs an address service') as unknown]);
  });

  test('an IPv6 fullnat service takes IPv6 local addresses', () => {
    const c = valid(withVirtualServer('address: "2001:db8::10"\nport: 443\nforwarding: fullnat\nfullnat: { local_addresses: ["2001:db8:2::1"] }', '- { address: "2001:db8:3::11" }'));
    expect(c.virtualServers[0]?.forwarding).toMatchObject({ localAddresses: [{ text: '2001:db8:2::1', family: 'ipv6' }] });
  });

  test('an unknown key in the mapping is refused with a suggestion', () => {
    expect(oneIssue(withVirtualServer(`${ADDR}\nforwarding: fullnat\nfullnat: { local_address: [10.0.2.1] }`)).message)
      .toBe("unknown key 'local_address'; did you mean 'local_addresses'?");
  });
});
