import { Header } from "@/components/layout/header";
import { Sidebar } from "@/components/layout/sidebar";
import { redirect } from "next/navigation";
import { requireActor } from "@/server/page-access";

export const dynamic = "force-dynamic";

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const actor = await requireActor();
  // A user given an initial password by an administrator must choose their own first.
  if (actor.mustChangePassword) redirect("/change-password");
  return (
    <div className="flex min-h-full">
      <Sidebar />
      <div className="flex min-w-0 flex-1 flex-col">
        <Header userName={actor.name} email={actor.email} accountName={actor.accountName} />
        <main className="flex-1 px-6 py-6">{children}</main>
      </div>
    </div>
  );
}
