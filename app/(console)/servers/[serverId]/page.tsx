import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { ServerDetail } from "@/components/servers/server-detail";
import { requireActor } from "@/server/page-access";

export const metadata: Metadata = { title: "Source server" };

export default async function Page({ params }: { params: Promise<{ serverId: string }> }) {
  await requireActor();
  const { serverId } = await params;
  if (!/^[0-9a-f-]{36}$/i.test(serverId)) notFound();
  return <ServerDetail serverId={serverId} />;
}
