/**
 * The JSON Schema (draft-07, what yaml-language-server reads) of the config
 * file, built from spec.ts alone: `lvs-ha __schema` prints it, the package
 * installs it, the example configs point editors at it.
 *
 * It checks what a schema can: keys (per mapping, per check and alert type),
 * types, ranges, choices, required keys and the simple either/or rules.
 * What needs the whole file (address families, duplicate VRIDs, names that
 * refer to other entries, timeout <= interval) stays with `lvs-ha
 * check-config`, the validator the daemon runs.
 */
import { KEYS } from './keys.js';
import { CHECK_TYPES, SPEC, type KeySpec, type MappingName, type ValueType } from './spec.js';
import { formatDuration } from './values.js';

export type JsonSchema = Readonly<Record<string, unknown>>;

export const SCHEMA_FILE_NAME = 'lvs-ha.schema.json';
/** Where the Debian package installs it (the packaged sample points here). */
export const SCHEMA_INSTALLED_PATH = `/usr/share/lvs-ha/${SCHEMA_FILE_NAME}`;

const DURATION_PATTERN = '^\\s*(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+\\s*$';
const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";

function durationText(v: Extract<ValueType, { t: 'duration' }>): string {
  const grain = v.step === 10 ? ', whole centiseconds' : v.step === 1000 ? ', whole seconds' : '';
  return `a duration ${formatDuration(v.min)}..${formatDuration(v.max)}${grain}, with a unit (ms, s, m, h)`;
}

export function typeSchema(v: ValueType): JsonSchema {
  switch (v.t) {
    case 'string':
      return {
        type: 'string',
        minLength: 1,
        ...(v.pattern === undefined ? {} : { pattern: v.pattern }),
        ...(v.maxLength === undefined ? {} : { maxLength: v.maxLength }),
        ...(v.not === undefined ? {} : { not: { enum: v.not } }),
      };
    case 'int':
      return { type: 'integer', minimum: v.min, maximum: v.max };
    case 'bool':
      return { type: 'boolean' };
    case 'enum':
      return { type: 'string', enum: v.values };
    case 'duration':
      return { type: 'string', pattern: DURATION_PATTERN, $comment: durationText(v) };
    case 'list':
      return { type: 'array', items: typeSchema(v.item), ...(v.minItems === undefined ? {} : { minItems: v.minItems }) };
    case 'map':
      return { $ref: `#/definitions/${v.ref}` };
    case 'command':
      return {
        type: 'array',
        minItems: 1,
        items: [{ type: 'string', pattern: '^/', $comment: 'an absolute path: no PATH lookup, no shell' }],
        additionalItems: { type: 'string', minLength: 1 },
      };
    case 'headers':
      return { type: 'object', propertyNames: { pattern: HEADER_NAME_PATTERN }, additionalProperties: { type: 'string', minLength: 1 } };
    case 'false':
      return { const: false };
    case 'anyOf':
      return { anyOf: v.of.map(typeSchema) };
  }
}

function keySchema(k: KeySpec): JsonSchema {
  const t = typeSchema(k.type);
  const range = k.type.t === 'duration' ? ` (${durationText(k.type)})` : '';
  return { ...t, description: `${k.doc}${range}`, ...(k.default === undefined ? {} : { default: k.default }) };
}

const has = (...keys: string[]): JsonSchema => ({ required: keys });
const notAny = (...keys: string[]): JsonSchema => ({ not: { anyOf: keys.map((k) => has(k)) } });
const is = (key: string, value: unknown): JsonSchema => ({ required: [key], properties: { [key]: { const: value } } });

/** Rules between keys of one mapping that a schema can state; check-config states them with their reasons. */
const RULES: Partial<Record<MappingName, readonly JsonSchema[]>> = {
  instance: [
    { dependencies: { unicast_source: ['unicast_peers'] } },
    { not: has('allowed_peers', 'unicast_peers') },
  ],
  notify: [{ minProperties: 1 }],
  trackProcess: [
    { oneOf: [has('process'), has('command_line')] },
    { if: has('process'), then: notAny('match') },
  ],
  virtualServer: [
    { if: has('fwmark'), then: notAny('address', 'port', 'protocol'), else: { allOf: [has('address', 'port'), notAny('family')] } },
    { if: is('forwarding', 'tun'), then: { if: is('tun_type', 'gue'), then: has('tun_port'), else: notAny('tun_port') }, else: notAny('tun_type', 'tun_port') },
    { if: is('forwarding', 'fullnat'), then: { allOf: [has('fullnat'), notAny('fwmark')] }, else: notAny('fullnat') },
    { if: is('ops', true), then: { anyOf: [has('fwmark'), is('protocol', 'udp')] } },
  ],
  check: [
    ...CHECK_TYPES.map((type) => {
      const variant = `check${type.charAt(0).toUpperCase()}${type.slice(1)}` as keyof typeof KEYS;
      return { if: is('type', type), then: { propertyNames: { enum: KEYS[variant] } } };
    }),
    { if: is('type', 'exec'), then: has('command') },
    { if: is('method', 'HEAD'), then: notAny('expect_body', 'expect_digest', 'expect_digest_md5') },
    { not: has('payload', 'payload_hex') },
    { if: { allOf: [is('type', 'smtp'), { not: is('starttls', true) }] }, then: notAny('tls_verify', 'tls_server_name', 'ca_file') },
  ],
  alert: [
    { if: is('type', 'webhook'), then: { allOf: [has('url'), notAny('command')] } },
    { if: is('type', 'exec'), then: { allOf: [has('command'), notAny('url', 'headers', 'retries')] } },
  ],
};

function mappingSchema(name: MappingName): JsonSchema {
  const keys: Readonly<Record<string, KeySpec>> = SPEC[name];
  const required = Object.entries(keys).filter(([, k]) => k.required === true).map(([key]) => key);
  const rules = RULES[name] ?? [];
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(keys).map(([key, k]) => [key, keySchema(k)])),
    additionalProperties: false,
    ...(required.length > 0 ? { required } : {}),
    ...(rules.length > 0 ? { allOf: rules } : {}),
  };
}

export function buildSchema(): JsonSchema {
  const names = Object.keys(SPEC) as MappingName[];
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'lvs-ha configuration',
    description: "The configuration file of lvs-ha (lvs-ha.yaml(5), docs/configuration.md). Generated by 'lvs-ha __schema' from src/config/spec.ts; 'lvs-ha check-config FILE' is the full check.",
    ...mappingSchema('top'),
    definitions: Object.fromEntries(names.filter((n) => n !== 'top').map((n) => [n, mappingSchema(n)])),
  };
}

/** The text of lvs-ha.schema.json. */
export function schemaText(): string {
  return `${JSON.stringify(buildSchema(), null, 2)}\n`;
}
