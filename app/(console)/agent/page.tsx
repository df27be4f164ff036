import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Agent" };

export default async function Page() {
  await requireActor();
  return (
    <>
      <PageHeader title="Agent" description="Download the Ferry agent and start it on source and target servers." />
      <EmptyState title="Agent downloads are not available yet">
        <p>The agent runs on each source server and each target server. It signs in with an access key pair (AK/SK) created under IAM and registers the server with this console. From this repository it runs as <code className="rounded bg-slate-100 px-1">npx ferry-agent --help</code>.</p>
      </EmptyState>
    </>
  );
}
