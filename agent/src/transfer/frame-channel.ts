import type { Socket } from "node:net";
import { FrameDecoder, type Frame } from "./frames";

/** Frames received but not yet consumed; above this the socket is paused so memory stays bounded. */
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;

/** A frame stream over one socket: writes with backpressure, reads as a queue of frames. */
export class FrameChannel {
  private readonly decoder = new FrameDecoder();
  private readonly queue: Frame[] = [];
  private queuedBytes = 0;
  private waiter: { resolve: (f: Frame) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  /** Bytes written to the socket, headers included: what the link carried before TLS. */
  bytesWritten = 0;

  constructor(readonly socket: Socket) {
    socket.on("data", (data: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.decoder.push(data);
      } catch (error) {
        this.fail(error as Error);
        socket.destroy();
        return;
      }
      for (const f of frames) this.deliver(f);
    });
    socket.on("error", (e) => this.fail(e));
    socket.on("close", () => this.fail(new Error("connection closed by peer")));
  }

  get isClosed(): boolean {
    return this.failure !== null;
  }

  private deliver(f: Frame): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve(f);
      return;
    }
    this.queue.push(f);
    this.queuedBytes += f.payload.length;
    if (this.queuedBytes > MAX_QUEUED_BYTES) this.socket.pause();
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.reject(error);
    }
  }

  /** The next frame; rejects once the connection is gone and every received frame was read. */
  next(): Promise<Frame> {
    const f = this.queue.shift();
    if (f) {
      this.queuedBytes -= f.payload.length;
      if (this.queuedBytes <= MAX_QUEUED_BYTES / 2 && this.socket.isPaused()) this.socket.resume();
      return Promise.resolve(f);
    }
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /**
   * Writes the parts of one frame; returns false when the caller should wait for drain().
   * `onFlushed` runs once the socket is done with the parts (they may be reused), or it failed.
   */
  write(parts: readonly Buffer[], onFlushed?: () => void): boolean {
    if (this.failure) throw this.failure;
    let ok = true;
    this.socket.cork();
    parts.forEach((p, i) => {
      this.bytesWritten += p.length;
      ok = i === parts.length - 1 && onFlushed ? this.socket.write(p, () => onFlushed()) : this.socket.write(p);
    });
    this.socket.uncork();
    return ok;
  }

  drain(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        this.socket.off("close", onClose);
        resolve();
      };
      const onClose = () => {
        this.socket.off("drain", onDrain);
        reject(this.failure ?? new Error("connection closed by peer"));
      };
      this.socket.once("drain", onDrain);
      this.socket.once("close", onClose);
    });
  }

  /** Writes and waits until the socket has taken the bytes (used for control frames). */
  async send(parts: readonly Buffer[]): Promise<void> {
    if (!this.write(parts)) await this.drain();
  }

  end(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.end(() => resolve());
      this.socket.once("close", () => resolve());
    });
  }
}
