/** "2025-03-01 14:05:09" in the viewer's time zone: sortable and unambiguous in tables. */
export function formatDateTime(value: Date | string | null | undefined): string {
  if (!value) return "";
  const date = value instanceof Date ? value : new Date(value);
  return date.toLocaleString("sv-SE", { hour12: false });
}
