import { Alert } from "@/components/ui/alert";

/** What the Agent page says about the file-transfer addon: the page maps the service's result to this. */
export type NativeAddonSummary =
  | { isBuilt: true; platform: string; arch: string; napi: number; glibc: string | null; sizeBytes: number; sha256: string }
  | { isBuilt: false; reason: string };

/** Whether agents without a C compiler can get the addon for file-level migration from this console. */
export function NativeAddonStatus({ addon }: { addon: NativeAddonSummary }) {
  if (!addon.isBuilt) {
    return (
      <Alert tone="info">
        This console could not build the agent&apos;s file-transfer addon ({addon.reason}). Agents will need a C compiler (<code>cc</code>) and
        Node&apos;s headers on their servers for file-level migration; or install them on this console&apos;s server, and it builds the addon for
        agents within a minute.
      </Alert>
    );
  }
  return (
    <div className="text-sm text-slate-600">
      <p>
        File-level migration uses a small native addon. Agents on servers without a C compiler download it from this console when they
        start: built for {addon.platform}-{addon.arch} (N-API {addon.napi}
        {addon.glibc ? `, glibc ${addon.glibc}` : ""}), {Math.max(1, Math.round(addon.sizeBytes / 1024))} KiB. Servers of another kind
        {addon.glibc ? " or with an older C library" : ""} still need <code>cc</code> and Node&apos;s headers.
      </p>
      <p className="mt-1 font-mono text-xs break-all text-slate-700">
        Addon SHA-256 <span data-testid="native-addon-sha256">{addon.sha256}</span>
      </p>
    </div>
  );
}
