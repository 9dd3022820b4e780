/** The lvs-ha YAML text, with the collector's comments placed on their nodes. */
import { Document, isMap, isScalar, isSeq, type Node } from 'yaml';
import type { YamlMap } from './model.js';
import type { Collector } from './values.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function comment(text: string): string {
  return text.split('\n').map((l) => ` ${l}`).join('\n');
}

function annotate(cx: Collector, node: unknown, value: unknown): void {
  if (!isObject(value)) return;
  const before = cx.before.get(value);
  if (before && (isMap(node) || isSeq(node))) (node as Node).commentBefore = comment(before.join('\n'));
  if (isSeq(node) && Array.isArray(value)) {
    node.items.forEach((item, i) => { annotate(cx, item, value[i]); });
    return;
  }
  if (!isMap(node)) return;
  const after = cx.after.get(value);
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const note = after?.get(key);
    if (note !== undefined) {
      if (isScalar(pair.value)) pair.value.comment = comment(note);
      else if (isScalar(pair.key)) pair.key.commentBefore = comment(note);
    }
    annotate(cx, pair.value, value[key]);
  }
}

/** Render `root` as YAML: `header` lines as the leading comment, then the annotated document. */
export function emitYaml(root: YamlMap, cx: Collector, header: readonly string[]): string {
  const doc = new Document(root);
  annotate(cx, doc.contents, root);
  if (header.length > 0) doc.commentBefore = comment(header.join('\n'));
  return doc.toString({ lineWidth: 0 });
}
