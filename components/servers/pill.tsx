type Tone = "neutral" | "success" | "warning" | "danger" | "info";

const TONES: Record<Tone, string> = {
  neutral: "bg-slate-100 text-slate-700 ring-slate-200",
  info: "bg-blue-50 text-blue-700 ring-blue-200",
  success: "bg-green-50 text-green-700 ring-green-200",
  warning: "bg-amber-50 text-amber-800 ring-amber-200",
  danger: "bg-red-50 text-red-700 ring-red-200",
};

export function Pill({ tone = "neutral", children }: { tone?: Tone; children: React.ReactNode }) {
  return <span className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${TONES[tone]}`}>{children}</span>;
}

export function ConnectionPill({ connection }: { connection: "connected" | "offline" }) {
  return <Pill tone={connection === "connected" ? "success" : "neutral"}>{connection === "connected" ? "Connected" : "Offline"}</Pill>;
}

const VERDICTS = {
  pass: { tone: "success", label: "Ready" },
  warn: { tone: "warning", label: "Ready with warnings" },
  fail: { tone: "danger", label: "Unavailable" },
} as const;

/** The check's verdict in SMS terms: an ERROR makes the source unavailable. */
export function VerdictPill({ verdict }: { verdict: "pass" | "warn" | "fail" | null }) {
  if (!verdict) return <Pill>Not checked</Pill>;
  const { tone, label } = VERDICTS[verdict];
  return <Pill tone={tone}>{label}</Pill>;
}

const CHECKS = { pass: { tone: "success", label: "OK" }, warn: { tone: "warning", label: "Warning" }, fail: { tone: "danger", label: "Error" } } as const;

export function CheckStatusPill({ status }: { status: "pass" | "warn" | "fail" }) {
  return <Pill tone={CHECKS[status].tone}>{CHECKS[status].label}</Pill>;
}
