import type { Host } from "./host";

export async function readKernel(host: Host, notes: string[]): Promise<string | null> {
  const release = (await host.readText("/proc/sys/kernel/osrelease"))?.trim() || host.kernelRelease().trim();
  if (!release) notes.push("could not read the kernel release");
  return release || null;
}

/** "glibc 2.17" → "2.17"; anything else (musl has no GNU_LIBC_VERSION) → null. */
export function parseGlibcVersion(output: string): string | null {
  return /^glibc\s+(\d+\.\d+(?:\.\d+)?)/m.exec(output.trim())?.[1] ?? null;
}

export async function readGlibc(host: Host, notes: string[]): Promise<string | null> {
  const result = await host.runTool("getconf", ["GNU_LIBC_VERSION"]);
  if (result.ok) {
    const version = parseGlibcVersion(result.stdout);
    if (version) return version;
  }
  // The glibc this Node process runs on is the system's; node records it in its own report.
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  if (host.root === "/" && header?.glibcVersionRuntime) return header.glibcVersionRuntime;
  notes.push(`could not read the glibc version (${result.ok ? "getconf gave no glibc version" : result.reason})`);
  return null;
}
