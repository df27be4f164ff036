"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

export type TabLink = { href: string; label: string; /** Other exact paths that show this tab as current. */ also?: string[] };

function isCurrent(pathname: string, tab: TabLink) {
  return pathname === tab.href || pathname.startsWith(`${tab.href}/`) || (tab.also ?? []).includes(pathname);
}

/** A section's sub-navigation: links styled as tabs, the current one marked for assistive tech. */
export function TabNav({ label, tabs }: { label: string; tabs: TabLink[] }) {
  const pathname = usePathname();
  return (
    <nav aria-label={label} className="mb-6 border-b border-slate-200">
      <ul className="-mb-px flex flex-wrap gap-4">
        {tabs.map((tab) => {
          const current = isCurrent(pathname, tab);
          return (
            <li key={tab.href}>
              <Link
                href={tab.href}
                aria-current={current ? "page" : undefined}
                className={`inline-block border-b-2 px-1 pb-2 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-600 ${
                  current ? "border-brand-600 text-brand-700" : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900"
                }`}
              >
                {tab.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
