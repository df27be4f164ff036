import { IamNav } from "@/components/iam/iam-nav";
import { PageHeader } from "@/components/ui/page-header";

export default function IamLayout({ children }: { children: React.ReactNode }) {
  return (
    <>
      <PageHeader title="IAM" description="Users, user groups, policies and access keys of this account." />
      <IamNav />
      {children}
    </>
  );
}
