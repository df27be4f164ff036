/**
 * Incremental sync of changed large files end to end: a receiver and a sender in this process,
 * the sender's delta window made tiny so that matches straddle its buffers, cells and frames.
 * Each pass must leave the target byte-identical, send close to the changed bytes, and hold a
 * bounded number of bytes however large the file.
 */
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type RunningReceiver } from "../receiver";
import { CELL_BYTES } from "./file-hash";
import { sendFiles, type FileSendResult } from "./file-sender";

const TOKEN = "delta-test-token-41aa";
const KiB = 1024;
const MiB = 1024 * KiB;
/** Odd, so that nothing lines up with blocks (16 KiB for these sizes) or cells. */
const WINDOW = 4099;

let work: string;
let src: string;
let outDir: string;
let receiver: RunningReceiver;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-delta-"));
  src = path.join(work, "src");
  outDir = path.join(work, "out");
  fs.mkdirSync(src);
  receiver = await startReceiver({ host: "127.0.0.1", port: 0, credentials: { kind: "token", token: TOKEN }, outDir });
});

afterAll(async () => {
  await receiver?.close();
  execFileSync("rm", ["-rf", work]);
});

async function sync(): Promise<FileSendResult> {
  const lines: string[] = [];
  const result = await sendFiles({
    host: "127.0.0.1",
    port: receiver.address.port,
    credentials: { kind: "token", token: TOKEN },
    root: src,
    isSync: true,
    stateDir: path.join(work, "sender-state"),
    deltaWindowBytes: WINDOW,
    log: (line) => lines.push(line),
  });
  await receiver.nextSession();
  expect(result.report.isVerified, lines.join("\n")).toBe(true);
  return result;
}

function expectSameBytes(name: string): void {
  expect(fs.readFileSync(path.join(outDir, name)).equals(fs.readFileSync(path.join(src, name)))).toBe(true);
}

const db = () => fs.readFileSync(path.join(src, "db.bin"));
const writeDb = (parts: Buffer[]) => fs.writeFileSync(path.join(src, "db.bin"), Buffer.concat(parts));

describe("changed large files travel as streaming deltas", () => {
  it("rebuilds edited, moved, shrunk and replaced files byte for byte, sending about what changed", async () => {
    fs.writeFileSync(path.join(src, "db.bin"), crypto.randomBytes(24 * MiB + 321));
    fs.writeFileSync(path.join(src, "one-cell.bin"), crypto.randomBytes(2 * MiB + 5));
    fs.writeFileSync(path.join(src, "notes.txt"), "unchanged\n");
    const first = await sync();
    expect(first.stats.deltas).toBe(0);
    expectSameBytes("db.bin");

    // Inserted, overwritten, deleted and appended bytes; a file of one cell (hashed whole) edited too.
    const v1 = db();
    writeDb([v1.subarray(0, 5 * MiB + 3), crypto.randomBytes(1000), v1.subarray(5 * MiB + 3, 12 * MiB), crypto.randomBytes(20 * KiB), v1.subarray(12 * MiB + 20 * KiB, 18 * MiB), v1.subarray(18 * MiB + 30 * KiB), crypto.randomBytes(50 * KiB)]);
    const small = fs.readFileSync(path.join(src, "one-cell.bin"));
    fs.writeFileSync(path.join(src, "one-cell.bin"), Buffer.concat([small.subarray(0, MiB), Buffer.from("edited"), small.subarray(MiB + 6)]));
    const edited = await sync();
    expect(edited.stats.deltas).toBe(2);
    expectSameBytes("db.bin");
    expectSameBytes("one-cell.bin");
    // 71 KiB changed; each edit may cost the 16 KiB blocks around it. A whole send is 26 MiB.
    expect(edited.contentBytes).toBeLessThan(71 * KiB + 6 * 2 * 16 * KiB);
    // Two cells being read, the window and a frame of about one window: never the file.
    expect(edited.deltaPeakBytes).toBeGreaterThan(0);
    expect(edited.deltaPeakBytes).toBeLessThanOrEqual(2 * CELL_BYTES + 256 * KiB);

    // A range moved towards the start, and the file cut short.
    const v2 = db();
    writeDb([v2.subarray(0, 3 * MiB), v2.subarray(10 * MiB, 11 * MiB + 77), v2.subarray(3 * MiB, 10 * MiB), v2.subarray(11 * MiB + 77, 15 * MiB)]);
    const moved = await sync();
    expect(moved.stats.deltas).toBe(1);
    expectSameBytes("db.bin");
    expect(moved.contentBytes).toBeLessThan(4 * 16 * KiB);

    // Nothing in common: every byte goes as a literal, and the result is still checked and right.
    fs.writeFileSync(path.join(src, "db.bin"), crypto.randomBytes(9 * MiB + 5));
    const replaced = await sync();
    expect(replaced.stats.deltas).toBe(1);
    expectSameBytes("db.bin");
    expect(replaced.contentBytes).toBe(9 * MiB + 5);
    expect(replaced.deltaPeakBytes).toBeLessThanOrEqual(2 * CELL_BYTES + 256 * KiB);

    const again = await sync();
    expect(again.stats.deltas).toBe(0);
    expect(again.contentBytes).toBe(0);
  });
});
