/**
 * Resource names: `<service>:<accountId>:<type>:<id>`, e.g. `sms:acc-1:server:3f2a...`.
 * Policies match them case-sensitively with `*` and `?` wildcards, e.g. `sms:*:server:*`.
 * The account id is in the name so that a name is unique across tenants; the server still scopes
 * every query by the caller's account, a Resource pattern only narrows within it.
 */
import { hasWildcard } from "./wildcard";

export const RESOURCE_TYPES = {
  server: "sms",
  command: "sms",
  log: "sms",
  task: "sms",
  template: "sms",
  serverTemplate: "sms",
  targetServer: "sms",
  user: "iam",
  group: "iam",
  policy: "iam",
  accessKey: "iam",
  trace: "audit",
} as const;

export type ResourceType = keyof typeof RESOURCE_TYPES;
export type ResourceService = (typeof RESOURCE_TYPES)[ResourceType];

export interface ParsedResourceName {
  service: ResourceService;
  accountId: string;
  type: ResourceType;
  id: string;
}

// Ids and account ids are UUIDs or slugs; anything else (":" or a wildcard) would make names ambiguous.
const SEGMENT_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
const PATTERN_SEGMENT_PATTERN = /^[A-Za-z0-9._*?-]{1,128}$/;

export function isResourceType(value: string): value is ResourceType {
  return Object.hasOwn(RESOURCE_TYPES, value);
}

export function resourceName(type: ResourceType, accountId: string, id: string): string {
  if (!SEGMENT_PATTERN.test(accountId)) throw new Error(`Invalid account id for a resource name: ${JSON.stringify(accountId)}`);
  if (!SEGMENT_PATTERN.test(id)) throw new Error(`Invalid ${type} id for a resource name: ${JSON.stringify(id)}`);
  return `${RESOURCE_TYPES[type]}:${accountId}:${type}:${id}`;
}

export function parseResourceName(name: string): ParsedResourceName | null {
  const parts = name.split(":");
  if (parts.length !== 4) return null;
  const [service, accountId, type, id] = parts as [string, string, string, string];
  if (!isResourceType(type) || RESOURCE_TYPES[type] !== service) return null;
  if (!SEGMENT_PATTERN.test(accountId) || !SEGMENT_PATTERN.test(id)) return null;
  return { service: RESOURCE_TYPES[type], accountId, type, id };
}

function segmentCanMatch(pattern: string, values: readonly string[]): boolean {
  if (hasWildcard(pattern)) return true;
  return values.includes(pattern);
}

/**
 * Why a policy Resource pattern is invalid, or null when it is fine: "*" or four segments whose
 * service and type, when written without wildcards, must name a known service and type.
 */
export function resourcePatternError(pattern: string): string | null {
  if (pattern === "*") return null;
  const parts = pattern.split(":");
  if (parts.length !== 4 || !parts.every((part) => PATTERN_SEGMENT_PATTERN.test(part))) {
    return 'expected "*" or "<service>:<accountId>:<type>:<id>" (letters, digits, ".", "_", "-", "*", "?"), e.g. "sms:*:server:*"';
  }
  const [service, , type] = parts as [string, string, string, string];
  const services = [...new Set(Object.values(RESOURCE_TYPES))];
  if (!segmentCanMatch(service, services)) return `unknown service "${service}" (known: ${services.join(", ")})`;
  if (!segmentCanMatch(type, Object.keys(RESOURCE_TYPES))) return `unknown resource type "${type}"`;
  if (isResourceType(type) && !hasWildcard(service) && RESOURCE_TYPES[type] !== service) {
    return `resource type "${type}" belongs to service "${RESOURCE_TYPES[type]}", not "${service}"`;
  }
  return null;
}

/** A pattern that matches every resource, so it also applies to requests that name none (lists). */
export function matchesAllResources(pattern: string): boolean {
  return pattern.length > 0 && [...pattern].every((char) => char === "*");
}
