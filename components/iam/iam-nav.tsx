import { TabNav } from "@/components/ui/tabs";

export function IamNav() {
  return (
    <TabNav
      label="IAM"
      tabs={[
        { href: "/iam/users", label: "Users", also: ["/iam"] },
        { href: "/iam/groups", label: "User groups" },
        { href: "/iam/policies", label: "Policies" },
        { href: "/iam/credentials", label: "My credentials" },
      ]}
    />
  );
}
