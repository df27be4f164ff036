import type { SendProgress } from "../transfer/sender";
import { taskProgressResponseSchema, type TaskProgressRequest, type TaskProgressResponse } from "../protocol/v1/tasks";
import type { Logger } from "../logging/logger";
import { sleep } from "./backoff";
import type { ConsoleApi } from "./console-client";
import { ConsoleNotFoundError } from "./errors";
import { HostMetrics } from "./host-metrics";
import { API } from "./agent-loop";

type DiskProgress = { done: number; total: number; sent: number };

export type ProgressReporterOptions = {
  console: ConsoleApi;
  logger: Logger;
  agentId: string;
  taskId: string;
  passId: string;
  /** Disk names in send order with the bytes each is expected to take (0 when not known yet). */
  disks: { name: string; totalBytes: number }[];
  intervalMs: number;
  /** The console said to stop (aborted, superseded) or no longer knows the pass. */
  onStop: (reason: string) => void;
  /** The console's current speed limit for the pass. */
  onLimit: (bytesPerSecond: number | null) => void;
};

/**
 * Posts a pass's progress to the console about every second while the data plane runs, and passes
 * the console's answers back: stop, or a new speed limit. A failed post is logged and the copy
 * goes on: progress is a view of the copy, not a condition of it.
 */
export class ProgressReporter {
  private readonly disks = new Map<string, DiskProgress>();
  private readonly metrics = new HostMetrics();
  private readonly halt = new AbortController();
  private phase: TaskProgressRequest["phase"] = "prepare";
  private lastPost: { at: number; done: number } | null = null;
  private loop: Promise<void> | null = null;
  private isStopSignalled = false;
  /** Posts made, for the log at the end. */
  posts = 0;

  constructor(private readonly options: ProgressReporterOptions) {
    for (const d of options.disks) this.disks.set(d.name, { done: 0, total: d.totalBytes, sent: 0 });
  }

  start(): void {
    this.loop = (async () => {
      while (!this.halt.signal.aborted) {
        await this.post();
        await sleep(this.options.intervalMs, this.halt.signal);
      }
    })();
  }

  /** A progress event of the data plane (block: per disk; file level: one "files" entry). */
  update(p: SendProgress): void {
    const d = this.disks.get(p.name) ?? { done: 0, total: 0, sent: 0 };
    // The layout's figure replaces the estimate; bytes done never go backwards in what we post.
    d.total = p.totalBytes;
    d.done = Math.max(d.done, p.doneBytes);
    d.sent = Math.max(d.sent, p.sentBytes);
    this.disks.set(p.name, d);
    const all = [...this.disks.values()];
    const isCopied = all.every((x) => x.total > 0 && x.done >= x.total);
    this.phase = isCopied ? "verify" : "copy";
  }

  /** Stops posting; with `final`, posts once more with every byte done. */
  async finish(final?: { bytesTotal: number; bytesSent: number }): Promise<void> {
    this.halt.abort();
    await this.loop;
    if (!final) return;
    for (const d of this.disks.values()) d.done = d.total;
    this.phase = "verify";
    await this.post(final);
  }

  private totals() {
    let done = 0;
    let total = 0;
    let sent = 0;
    for (const d of this.disks.values()) {
      done += d.done;
      total += Math.max(d.total, d.done);
      sent += d.sent;
    }
    return { done, total, sent };
  }

  private async post(final?: { bytesTotal: number; bytesSent: number }): Promise<void> {
    const now = performance.now();
    const t = this.totals();
    const bytesTotal = final ? final.bytesTotal : t.total;
    const bytesDone = final ? final.bytesTotal : Math.min(t.done, bytesTotal);
    // The rate of the copy's progress (what "time left" divides by); wire bytes are in bytesSent.
    const rate = this.lastPost ? Math.max(0, bytesDone - this.lastPost.done) / Math.max(0.001, (now - this.lastPost.at) / 1000) : 0;
    this.lastPost = { at: now, done: bytesDone };
    const body: TaskProgressRequest = {
      agentId: this.options.agentId,
      taskId: this.options.taskId,
      passId: this.options.passId,
      phase: this.phase,
      bytesTotal,
      bytesDone,
      bytesSent: final ? final.bytesSent : t.sent,
      rateBytesPerSecond: Math.round(rate),
      disks: [...this.disks].slice(0, 32).map(([name, d]) => ({ name: name.slice(0, 64), bytesDone: final ? d.total : d.done, bytesTotal: Math.max(d.total, d.done) })),
      ...this.metrics.read(),
    };
    let answer: TaskProgressResponse;
    try {
      answer = await this.options.console.call(API.taskProgress, body, taskProgressResponseSchema, { timeoutMs: 10_000 });
      this.posts++;
    } catch (error) {
      if (error instanceof ConsoleNotFoundError) {
        this.signalStop(`the console no longer knows this pass (${error.message})`);
        return;
      }
      this.options.logger.warn("posting task progress failed; the copy goes on", { taskId: this.options.taskId, error: (error as Error).message });
      return;
    }
    if (final) return;
    this.options.onLimit(answer.limitBytesPerSecond);
    if (!answer.shouldContinue) this.signalStop("the console asked to stop this pass (the task was stopped or a newer pass replaced it)");
  }

  private signalStop(reason: string) {
    if (this.isStopSignalled) return;
    this.isStopSignalled = true;
    this.options.onStop(reason);
  }
}
