type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function readHeader(headers: HeaderBag, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The caller's address as the first proxy saw it. A client can forge X-Forwarded-For, so the
 * IP throttle is a second line: the per-email limit does not depend on it.
 */
export function clientIpFrom(headers: HeaderBag): string {
  const forwarded = readHeader(headers, "x-forwarded-for")?.split(",")[0]?.trim();
  return forwarded || readHeader(headers, "x-real-ip") || "unknown";
}
