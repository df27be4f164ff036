/** "HOST:PORT", "[v6]:PORT" or ":PORT" (all interfaces). */
export function parseHostPort(text: string, defaultHost: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 0 || port > 65535) return null;
  return { host: m[1] ?? (m[2] || defaultHost), port };
}
