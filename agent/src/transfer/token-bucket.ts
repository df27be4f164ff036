/**
 * Rate limit in bytes per second. Frames larger than the burst are let through by going into
 * debt, which the next take() pays off by waiting; the rate can change while a transfer runs.
 */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private rate: number,
    private readonly burst = Math.max(256 * 1024, rate / 20),
  ) {
    this.tokens = this.burst;
  }

  setRate(bytesPerSecond: number): void {
    this.refill();
    this.rate = bytesPerSecond;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  async take(bytes: number): Promise<void> {
    this.refill();
    this.tokens -= bytes;
    if (this.tokens < 0) {
      const waitMs = (-this.tokens / this.rate) * 1000;
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}
