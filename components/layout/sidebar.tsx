"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { NAV_ITEMS, type NavItem } from "./nav-items";

function isActive(pathname: string, href: string) {
  return pathname === href || pathname.startsWith(`${href}/`);
}

function NavLink({ item, pathname, depth }: { item: NavItem; pathname: string; depth: number }) {
  const active = isActive(pathname, item.href);
  return (
    <Link
      href={item.href}
      aria-current={active ? "page" : undefined}
      className={`block rounded-md px-3 py-2 text-sm ${depth ? "pl-6" : ""} ${
        active ? "bg-slate-800 font-medium text-white" : "text-slate-300 hover:bg-slate-800 hover:text-white"
      }`}
    >
      {item.label}
    </Link>
  );
}

export function Sidebar() {
  const pathname = usePathname();
  return (
    <nav aria-label="Console" className="flex w-60 shrink-0 flex-col bg-slate-900 px-3 py-4">
      <Link href="/servers" className="mb-6 px-3 text-lg font-semibold tracking-wide text-white">
        Ferry
      </Link>
      <ul className="space-y-1">
        {NAV_ITEMS.map((item) => (
          <li key={item.href}>
            {item.children ? (
              <>
                <span className="block px-3 pt-2 pb-1 text-xs font-semibold tracking-wide text-slate-500 uppercase">
                  {item.label}
                </span>
                <ul className="space-y-1">
                  {item.children.map((child) => (
                    <li key={child.href}>
                      <NavLink item={child} pathname={pathname} depth={1} />
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              <NavLink item={item} pathname={pathname} depth={0} />
            )}
          </li>
        ))}
      </ul>
    </nav>
  );
}
