/**
 * npm run bench:delta — the rsync-style delta of a changed large file, against sending it whole.
 *
 * In one process: a receiver and the file sender on loopback, one file of BENCH_DELTA_MIB
 * (default 256) random MiB. Measures the first --sync pass (the file goes whole), then a pass
 * after overwriting BENCH_CHANGED_PERCENT (default 1) of it in 100 scattered places (a delta),
 * then a pass after replacing it with unrelated bytes (a delta where nothing matches: the
 * rolling checksum's worst case). Then the encoder alone, in memory, on the same two cases, and
 * the signature of the target's copy. BENCH_LIMIT_MIBS caps the link (the token bucket), to see
 * where a delta wins on a slower link. Files live in BENCH_DIR (default /dev/shm when it exists,
 * so the disk does not decide). Runs once; do not loop it on a shared machine.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startReceiver } from "../src/transfer/receiver";
import { DeltaEncoder, deltaBlockBytes, signatureOfFile } from "../src/transfer/files/delta";
import { sendFiles } from "../src/transfer/files/file-sender";

const MiB = 1024 * 1024;
const size = Number(process.env.BENCH_DELTA_MIB ?? 256) * MiB;
const changedPercent = Number(process.env.BENCH_CHANGED_PERCENT ?? 1);
const limitMiBs = process.env.BENCH_LIMIT_MIBS ? Number(process.env.BENCH_LIMIT_MIBS) : undefined;
const parent = process.env.BENCH_DIR ?? (fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir());
const TOKEN = crypto.randomBytes(16).toString("hex");

const rate = (bytes: number, ms: number) => `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s`;

/** Overwrites changedPercent of the buffer in 100 evenly spread places. */
function changeScattered(data: Buffer): number {
  const each = Math.floor((data.length * changedPercent) / 100 / 100);
  for (let i = 0; i < 100; i++) crypto.randomFillSync(data, Math.floor(((i + 0.5) * data.length) / 100), each);
  return each * 100;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(parent, "ferry-bench-delta-"));
  const src = path.join(dir, "src");
  fs.mkdirSync(src);
  const file = path.join(src, "db.bin");
  const receiver = await startReceiver({ host: "127.0.0.1", port: 0, credentials: { kind: "token", token: TOKEN }, outDir: path.join(dir, "out") });
  try {
    const pass = async (label: string) => {
      const t = performance.now();
      const r = await sendFiles({
        host: "127.0.0.1",
        port: receiver.address.port,
        credentials: { kind: "token", token: TOKEN },
        root: src,
        isSync: true,
        stateDir: path.join(dir, "state"),
        limitBytesPerSecond: limitMiBs ? limitMiBs * MiB : undefined,
      });
      await receiver.nextSession();
      const ms = performance.now() - t;
      if (!r.report.isVerified) throw new Error(`${label}: not verified`);
      console.log(
        `${label.padEnd(34)} ${(ms / 1000).toFixed(2).padStart(6)} s  ${rate(size, ms).padStart(10)} of file  ${(r.contentBytes / MiB).toFixed(1).padStart(7)} MiB content  ${(r.wireBytes / MiB).toFixed(1).padStart(7)} MiB on the wire  deltas ${r.stats.deltas}  peak ${(r.deltaPeakBytes / MiB).toFixed(1)} MiB`,
      );
    };
    console.log(`one file of ${size / MiB} MiB in ${dir}${limitMiBs ? `, link capped at ${limitMiBs} MiB/s` : ""}, ${deltaBlockBytes(size) / 1024} KiB blocks`);
    const original = crypto.randomBytes(size);
    fs.writeFileSync(file, original);
    await pass("first pass (sent whole)");
    const changed = Buffer.from(original);
    const changedBytes = changeScattered(changed);
    fs.writeFileSync(file, changed);
    await pass(`${changedPercent}% changed (${(changedBytes / MiB).toFixed(1)} MiB): delta`);
    const unrelated = crypto.randomBytes(size);
    fs.writeFileSync(file, unrelated);
    await pass("nothing in common: delta");

    // The CPU side alone, in memory: what the rolling checksum and the block table cost.
    const B = deltaBlockBytes(size);
    let t = performance.now();
    const signature = signatureOfFile((buf, position) => original.copy(buf, 0, position, position + buf.length), size, B);
    console.log(`signature of the target's copy      ${rate(size, performance.now() - t).padStart(10)}`);
    for (const [label, data] of [
      [`encoder, ${changedPercent}% changed`, changed],
      ["encoder, nothing in common", unrelated],
    ] as const) {
      const encoder = new DeltaEncoder(signature, { copy: () => undefined, literal: () => undefined });
      t = performance.now();
      for (let o = 0; o < data.length; o += 4 * MiB) encoder.push(data.subarray(o, o + 4 * MiB));
      encoder.finish();
      console.log(`${label.padEnd(34)} ${rate(size, performance.now() - t).padStart(10)}  literal ${(encoder.literalBytes / MiB).toFixed(1)} MiB`);
    }
    // A signature of many blocks (a file of tens of GiB) makes the table lookups miss the cache.
    const many = 80 * 1024;
    const big = crypto.randomBytes(12 + many * 20);
    big.writeUInt32LE(256 * 1024, 0);
    big.writeDoubleLE(many * 256 * 1024, 4);
    const encoder = new DeltaEncoder(big, { copy: () => undefined, literal: () => undefined });
    t = performance.now();
    for (let o = 0; o < unrelated.length; o += 4 * MiB) encoder.push(unrelated.subarray(o, o + 4 * MiB));
    console.log(`${"encoder, 80 Ki blocks (20 GiB)".padEnd(34)} ${rate(size, performance.now() - t).padStart(10)}  (nothing in common)`);
  } finally {
    await receiver.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
