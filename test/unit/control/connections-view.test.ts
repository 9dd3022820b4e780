import { describe, expect, test } from 'vitest';
import { renderConnectionReply } from '../../../src/control/connections-view.js';
import { connectionsJson } from '../../../src/lvs/ipvs/connections-read.js';
import { parseIpVsConn } from '../../../src/lvs/ipvs/connections.js';

const PROC = `Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
TCP 0A3D0002 D2F0 0A3D0064 0050 0A3D0015 0050 ESTABLISHED     899
TCP 0A3D0002 D2F2 0A3D0064 0050 0A3D0016 0050 FIN_WAIT         61
`;

describe('status --connections human view', () => {
  test('the reply renders as ipvsadm -Lnc columns', () => {
    const reply = connectionsJson({ available: true, ...parseIpVsConn(PROC) });
    const text = renderConnectionReply(reply);
    expect(text.split('\n')[0]).toMatch(/^pro expire state\s+source\s+virtual\s+destination$/);
    expect(text).toContain('TCP 14:59 ESTABLISHED 10.61.0.2:54000    10.61.0.100:80     10.61.0.21:80');
    expect(text).toContain('TCP 01:01 FIN_WAIT    10.61.0.2:54002    10.61.0.100:80     10.61.0.22:80');
    expect(text).not.toMatch(/not shown/);
  });
  test('no IPVS in the namespace is said, not shown as an empty table', () => {
    expect(renderConnectionReply({ available: false, skipped: 0, connections: [] })).toMatch(/IPVS is not loaded/);
  });
  test('malformed entries are counted, never guessed', () => {
    const text = renderConnectionReply({ available: true, skipped: 1, connections: [{ protocol: 'TCP' }, 'x'] });
    expect(text).toMatch(/\(3 entries not shown: not understood\)/);
  });
});
