import fs from "node:fs";
import { parseRate } from "./parse-rate";
import type { SpeedLimit } from "./speed-limit";

/**
 * Changing the speed limit of a running send: the file holds a rate ("20M", "400Mbit"), "off"
 * for no limit, or nothing to fall back to --limit and --limit-window. It is polled every second
 * and re-read at once on SIGHUP. Returns a function that stops watching.
 */
export function watchLimitFile(file: string, limit: SpeedLimit, log: (l: string) => void): () => void {
  let lastText: string | null = null;
  const apply = () => {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8").trim();
    } catch {
      text = "";
    }
    if (text === lastText) return;
    lastText = text;
    if (text === "") {
      limit.setOverride(undefined);
      log(`${file}: no override, back to the configured limit`);
    } else if (/^(off|none|unlimited)$/i.test(text)) {
      limit.setOverride(null);
      log(`${file}: speed limit lifted`);
    } else {
      const rate = parseRate(text);
      if (rate === null) return log(`${file}: "${text}" is not a rate; keeping the current limit`);
      limit.setOverride(rate);
      log(`${file}: speed limit now ${rate} bytes per second`);
    }
  };
  apply();
  const timer = setInterval(apply, 1000);
  timer.unref();
  const onHup = () => apply();
  process.on("SIGHUP", onHup);
  return () => {
    clearInterval(timer);
    process.off("SIGHUP", onHup);
  };
}
