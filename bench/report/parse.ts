/**
 * Pure parsing for the benchmark report: `BENCH {json}` lines, tolerant field access on the
 * parsed objects, the IPVS figures recovered from results files or the printed table when
 * bench/ipvs prints no BENCH line, /proc/cpuinfo, and a one-line failure reason from a log.
 */

/** The object of the last `BENCH {json}` line in `text`, or null if there is none that parses. */
export function lastBench(text: string): unknown {
  const lines = text.split('\n').filter((l) => l.startsWith('BENCH '));
  for (const line of lines.reverse()) {
    try {
      return JSON.parse(line.slice('BENCH '.length)) as unknown;
    } catch {
      continue;
    }
  }
  return null;
}

/** Follows `path` through nested objects (and array indices); undefined on any mismatch. */
export function pick(value: unknown, ...path: readonly (string | number)[]): unknown {
  let v: unknown = value;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[String(key)];
  }
  return v;
}

/** A finite number at `path`, else null. */
export function num(value: unknown, ...path: readonly (string | number)[]): number | null {
  const v = pick(value, ...path);
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** An array at `path`, else an empty one. */
export function list(value: unknown, ...path: readonly (string | number)[]): readonly unknown[] {
  const v = pick(value, ...path);
  return Array.isArray(v) ? (v as unknown[]) : [];
}

/** The BENCH object bench/ipvs prints (or that the fallbacks below rebuild). */
export interface IpvsBench {
  readonly services: number | null;
  readonly dests: number | null;
  readonly lvs_ha: { readonly from_empty_ms: number | null; readonly noop_ms: number | null; readonly weights_ms: number | null };
  readonly ipvsadm: { readonly from_empty_ms: number | null; readonly list_ms: number | null; readonly weights_ms: number | null };
}

const minOrNull = (xs: readonly (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === 0 ? null : Math.min(...v);
};

/**
 * The IPVS figures from the JSON files bench/ipvs's VM run leaves (.vm/runs/lvb-bench):
 * `lvsha-<label>.json` and `ipvsadm-<n>.json`, each with `times` in ms. The lvs-ha run labelled
 * "current" (else the first) is used, and the faster of the ipvsadm runs, as bench/ipvs does.
 */
export function ipvsFromResultFiles(files: readonly { readonly name: string; readonly text: string }[]): IpvsBench | null {
  const parsed = files.filter((f) => f.name.endsWith('.json')).flatMap((f) => {
    try {
      return [{ name: f.name, data: JSON.parse(f.text) as unknown }];
    } catch {
      return [];
    }
  });
  const lvs = parsed.filter((f) => f.name.startsWith('lvsha-'));
  const mine = lvs.find((f) => f.name === 'lvsha-current.json') ?? lvs[0];
  const adm = parsed.filter((f) => f.name.startsWith('ipvsadm-')).map((f) => f.data);
  if (mine === undefined || adm.length === 0) return null;
  const best = (key: string): number | null => minOrNull(adm.map((a) => num(a, 'times', key)));
  return {
    services: num(mine.data, 'services'),
    dests: num(mine.data, 'dests'),
    lvs_ha: { from_empty_ms: num(mine.data, 'times', 'from_empty'), noop_ms: num(mine.data, 'times', 'noop'), weights_ms: num(mine.data, 'times', 'weight_10pct') },
    ipvsadm: { from_empty_ms: best('from_empty'), list_ms: best('noop'), weights_ms: best('weight_10pct') },
  };
}

/** "9.08 s" / "412.5 ms" / "-" as printed by bench/ipvs/report.ts, in ms. */
function tableMs(cell: string | undefined): number | null {
  const m = /^([\d.]+) (s|ms)$/.exec(cell?.trim() ?? '');
  if (m === null) return null;
  const v = Number(m[1]);
  return m[2] === 's' ? v * 1000 : v;
}

/**
 * The IPVS figures from bench/ipvs's printed table (columns separated by two or more spaces):
 * step, lvs-ha, "ipvsadm run 1 / run 2", ipvsadm command, ratio. Null without a from-empty row.
 */
export function ipvsFromTable(text: string): IpvsBench | null {
  const rows = new Map<string, string[]>();
  let size: [number, number] | null = null;
  for (const line of text.split('\n')) {
    const cells = line.split(/ {2,}/);
    const step = cells[0] ?? '';
    const m = /^from empty \((\d+) x (\d+)\)$/.exec(step);
    if (m !== null) {
      size = [Number(m[1]), Number(m[2])];
      rows.set('from_empty', cells);
    } else if (step === 'no-op reconcile') rows.set('noop', cells);
    else if (step === '10% weight change') rows.set('weights', cells);
  }
  const empty = rows.get('from_empty');
  if (empty === undefined || size === null) return null;
  const lvs = (k: string): number | null => tableMs(rows.get(k)?.[1]);
  const adm = (k: string): number | null => minOrNull((rows.get(k)?.[2] ?? '').split(' / ').map(tableMs));
  return {
    services: size[0],
    dests: size[1],
    lvs_ha: { from_empty_ms: lvs('from_empty'), noop_ms: lvs('noop'), weights_ms: lvs('weights') },
    ipvsadm: { from_empty_ms: adm('from_empty'), list_ms: adm('noop'), weights_ms: adm('weights') },
  };
}

/** Logical CPU count and the first CPU model from /proc/cpuinfo text. */
export function parseCpuinfo(text: string): { cores: number; model: string } {
  const cores = text.split('\n').filter((l) => /^processor\s*:/.test(l)).length;
  const model = /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? 'unknown CPU';
  return { cores, model };
}

/** The kernel the VM harness would boot: the newest /boot/vmlinuz-<version>. */
export function newestKernel(bootEntries: readonly string[]): string | null {
  const versions = bootEntries.filter((f) => f.startsWith('vmlinuz-')).map((f) => f.slice('vmlinuz-'.length));
  const key = (v: string): number[] => v.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : 0));
  versions.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
      const d = (ka[i] ?? 0) - (kb[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  });
  return versions.at(-1) ?? null;
}

/**
 * One line saying why a sub-benchmark failed: its exit code and the last meaningful line of its
 * output (vitest's and node's noise skipped), at most 300 characters.
 */
export function failureReason(exitCode: number, output: string): string {
  const noise = /^(\s*$|\s*at |\s*❯|\s*⎯|\s*Test Files|\s*Tests |\s*Start at|\s*Duration|\s*Node\.js v)/;
  const lines = output.split('\n').map((l) => l.trimEnd()).filter((l) => !noise.test(l));
  const errorLine = [...lines].reverse().find((l) => /error|fail|missing|not installed|run as root|timed out/i.test(l));
  const last = errorLine ?? lines.at(-1) ?? '';
  const text = `exit ${String(exitCode)}${last === '' ? '' : `: ${last.trim()}`}`;
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}
