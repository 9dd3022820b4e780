/** Where the benchmark targets listen: shared by bench.ts and targets.ts. */
const PORT_BASE = 20000;
const PER_ADDRESS = 1000;

export interface BenchTarget {
  readonly kind: 'tcp' | 'http';
  readonly host: string;
  readonly port: number;
}

/** tcpCount TCP targets then httpCount HTTP targets, 1,000 ports per 127.1.x.y address. */
export function layout(tcpCount: number, httpCount: number): BenchTarget[] {
  const out: BenchTarget[] = [];
  for (let i = 0; i < tcpCount + httpCount; i++) {
    const block = Math.floor(i / PER_ADDRESS);
    out.push({
      kind: i < tcpCount ? 'tcp' : 'http',
      host: `127.1.${String(Math.floor(block / 250))}.${String((block % 250) + 1)}`,
      port: PORT_BASE + (i % PER_ADDRESS),
    });
  }
  return out;
}
