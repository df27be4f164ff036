/**
 * Condition keys a policy may test, with the kind of value they hold. The server fills them in the
 * evaluation context. Keys are compared case-insensitively. A policy naming a key not listed here is
 * refused: a misspelt key would make a Deny silently never apply.
 */
export type ConditionKeyType = "string" | "ip" | "bool" | "date";

export const CONDITION_KEYS = [
  { key: "g:SourceIp", type: "ip", description: "IP address the request came from" },
  { key: "g:CurrentTime", type: "date", description: "Time the request was received (ISO 8601)" },
  { key: "g:SecureTransport", type: "bool", description: "Whether the request was made over HTTPS" },
  { key: "g:ViaAccessKey", type: "bool", description: "Whether the request was signed with an access key" },
  { key: "g:UserId", type: "string", description: "Id of the calling user" },
  { key: "g:UserName", type: "string", description: "Name of the calling user" },
] as const satisfies readonly { key: string; type: ConditionKeyType; description: string }[];

export type ConditionKey = (typeof CONDITION_KEYS)[number]["key"];

const keysByLowerName = new Map<string, (typeof CONDITION_KEYS)[number]>(
  CONDITION_KEYS.map((entry) => [entry.key.toLowerCase(), entry]),
);

export function findConditionKey(name: string): (typeof CONDITION_KEYS)[number] | undefined {
  return keysByLowerName.get(name.toLowerCase());
}
