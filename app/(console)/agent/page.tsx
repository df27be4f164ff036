import type { Metadata } from "next";
import { headers } from "next/headers";
import { InstallSteps } from "@/components/agent/install-steps";
import { NativeAddonStatus, type NativeAddonSummary } from "@/components/agent/native-addon-status";
import { Alert } from "@/components/ui/alert";
import { PageHeader } from "@/components/ui/page-header";
import { getEnv } from "@/server/env";
import { requireActor } from "@/server/page-access";
import { getAgentBundle, type AgentBundle } from "@/server/services/agent-bundle/bundle";
import { getNativeFsAddon, type NativeFsAddon } from "@/server/services/agent-bundle/native-fs-addon";

export const metadata: Metadata = { title: "Agent" };

/** This console's address as agents should use it: NEXTAUTH_URL when set, else what the browser used. */
async function consoleUrl(): Promise<string> {
  const configured = getEnv().NEXTAUTH_URL;
  if (configured) return configured.replace(/\/$/, "");
  const h = await headers();
  const host = h.get("x-forwarded-host") ?? h.get("host") ?? `localhost:${getEnv().PORT}`;
  const proto = h.get("x-forwarded-proto") ?? "http";
  return `${proto}://${host}`;
}

function summarize(addon: NativeFsAddon): NativeAddonSummary {
  if (!addon.isBuilt) return { isBuilt: false, reason: addon.reason };
  const { platform, arch, napi } = addon.target;
  return { isBuilt: true, platform, arch, napi, glibc: addon.glibc, sizeBytes: addon.bytes.length, sha256: addon.sha256 };
}

export default async function Page() {
  await requireActor();
  const building = getNativeFsAddon(); // never rejects; builds while the bundle does
  let bundle: AgentBundle | null = null;
  let bundleError: string | null = null;
  try {
    bundle = await getAgentBundle();
  } catch (error) {
    console.error("[agent-page] the agent bundle could not be built:", error);
    bundleError = "The agent bundle could not be built on this console; see its log.";
  }
  const addon = summarize(await building);
  const url = await consoleUrl();
  return (
    <>
      <PageHeader title="Agent" description="Download the Ferry agent and start it on each source server you want to migrate." />
      <div className="space-y-6">
        <section className="rounded-lg border border-slate-200 bg-white p-4">
          {bundle ? (
            <div className="flex flex-wrap items-center justify-between gap-4">
              <div className="text-sm">
                <p className="font-medium text-slate-900">ferry-agent {bundle.version}</p>
                <p className="text-slate-600">
                  One file, {Math.round(bundle.sizeBytes / 1024)} KiB; runs with Node.js 20 or later on Linux.
                </p>
                <p className="mt-1 font-mono text-xs break-all text-slate-700">
                  SHA-256 <span data-testid="agent-sha256">{bundle.sha256}</span>
                </p>
              </div>
              <a
                className="inline-flex items-center rounded-md bg-brand-600 px-3 py-2 text-sm font-medium text-white hover:bg-brand-700"
                href="/api/agent/download"
                download
              >
                Download ferry-agent
              </a>
            </div>
          ) : (
            <Alert>{bundleError}</Alert>
          )}
        </section>
        <section aria-label="File-transfer addon">
          <NativeAddonStatus addon={addon} />
        </section>
        <InstallSteps consoleUrl={url} sha256={bundle?.sha256 ?? null} />
      </div>
    </>
  );
}
