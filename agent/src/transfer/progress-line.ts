import { formatBytes } from "./parse-rate";
import type { SendProgress } from "./sender";

/** One line redrawn in place on a terminal: where the copy is, how fast, and how long is left. */
export function formatProgress(p: SendProgress): string {
  const seconds = Math.max(p.elapsedMs / 1000, 0.001);
  const rate = p.sentBytes / seconds;
  const fraction = p.totalBytes > 0 ? p.doneBytes / p.totalBytes : 1;
  const scanRate = p.doneBytes / seconds;
  const eta = scanRate > 0 ? (p.totalBytes - p.doneBytes) / scanRate : 0;
  return `${p.name}: ${(fraction * 100).toFixed(1).padStart(5)}% ${formatBytes(p.doneBytes)} of ${formatBytes(p.totalBytes)}, sent ${formatBytes(p.sentBytes)} at ${formatBytes(rate)}/s, ${p.isFinal ? "done" : `${Math.ceil(eta)} s left`}`;
}
