export type NavItem = { href: string; label: string; children?: NavItem[] };

/** The console's sections, in sidebar order. */
export const NAV_ITEMS: NavItem[] = [
  { href: "/servers", label: "Source servers" },
  { href: "/tasks", label: "Migration tasks" },
  { href: "/targets", label: "Target servers" },
  {
    href: "/templates",
    label: "Templates",
    children: [
      { href: "/templates/migration", label: "Migration templates" },
      { href: "/templates/server", label: "Server templates" },
    ],
  },
  { href: "/iam", label: "IAM" },
  { href: "/audit", label: "Audit log" },
  { href: "/agent", label: "Agent" },
];
