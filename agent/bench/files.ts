/**
 * npm run bench:file — Ferry's file-level transfer against rsync and tar, in one run.
 *
 * Generates a tree on a fresh filesystem (tmpfs by default, BENCH_FS=ext4 for a fresh ext4 loop
 * image; both need root): BENCH_SMALL small files (default 30,000, 200 B to 8 KiB, in 300
 * folders), BENCH_LARGE large ones (default 6 × 32 MiB), 1,000 symlinks and 1,000 hard links.
 * Then measures, each into its own target on the same filesystem:
 *   - tar c | tar x (the floor: no network, no checks, no temporary names),
 *   - tar c | TLS | tar x, the same over one loopback TLS connection (socat with OpenSSL, C from
 *     end to end): the floor for any copy that encrypts, as Ferry must; skipped without socat,
 *   - rsync -aHAX --numeric-ids to a loopback rsync daemon,
 *   - Ferry's send --files to a loopback receiver (the bundled agent, as it ships),
 * full (each tool into an empty target, 3 times in turns, the median), with nothing changed
 * (rsync as is, Ferry with --sync), and after changing ~1% of the files; the two short passes
 * BENCH_REPEATS times (default 5), in turns, reporting the median.
 * After each Ferry pass it waits for the receiver to go idle (it prepares the next session's
 * writer), so that none of Ferry's work runs while rsync is timed.
 * Prints seconds, entries per second and Ferry / rsync. Do not loop it on a shared machine.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { warmMemory } from "./warm-memory";

const MiB = 1024 * 1024;
const dir = process.env.BENCH_DIR ?? "/tmp/ferry-bench-files";
const fsKind = process.env.BENCH_FS ?? "tmpfs";
const smallCount = Number(process.env.BENCH_SMALL ?? 30_000);
const largeCount = Number(process.env.BENCH_LARGE ?? 6);
const largeBytes = Number(process.env.BENCH_LARGE_MIB ?? 32) * MiB;
const repeats = Math.max(1, Number(process.env.BENCH_REPEATS ?? 5));
const TOKEN = crypto.randomBytes(16).toString("hex");
const AGENT_DIR = path.resolve(import.meta.dirname, "..");

function sh(cmd: string, args: string[], opts: { input?: string } = {}): string {
  return execFileSync(cmd, args, { encoding: "utf8", input: opts.input, stdio: ["pipe", "pipe", "pipe"] });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function seconds(fn: () => void): number {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

function mountFresh(mnt: string): () => void {
  fs.mkdirSync(mnt, { recursive: true });
  if (fsKind === "ext4") {
    const image = path.join(dir, "bench.ext4");
    fs.rmSync(image, { force: true });
    sh("truncate", ["-s", "8G", image]);
    sh("mkfs.ext4", ["-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", image]);
    sh("mount", ["-o", "loop", image, mnt]);
    return () => {
      spawnSync("umount", [mnt]);
      fs.rmSync(image, { force: true });
    };
  }
  sh("mount", ["-t", "tmpfs", "-o", "size=6g", "ferry-bench", mnt]);
  return () => void spawnSync("umount", [mnt]);
}

function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function generate(src: string): { entries: number; smallFiles: string[] } {
  const r = rand(20261125);
  const smallFiles: string[] = [];
  const pool = crypto.randomBytes(1 * MiB);
  let entries = 1;
  for (let d = 0; d < 300; d++) {
    const sub = path.join(src, `d${d % 30}`, `sub${d}`);
    fs.mkdirSync(sub, { recursive: true });
    entries += d < 30 ? 2 : 1;
  }
  for (let i = 0; i < smallCount; i++) {
    const p = path.join(src, `d${i % 30}`, `sub${i % 300}`, `file${i}.dat`);
    const size = 200 + Math.floor(r() * 8000);
    const off = Math.floor(r() * (pool.length - size));
    // Half text-like (compressible), half random.
    fs.writeFileSync(p, i % 2 ? pool.subarray(off, off + size) : Buffer.from(`line ${i} `.repeat(Math.ceil(size / 10)).slice(0, size)));
    smallFiles.push(p);
    entries++;
  }
  fs.mkdirSync(path.join(src, "large"));
  entries++;
  for (let i = 0; i < largeCount; i++) {
    fs.writeFileSync(path.join(src, "large", `big${i}.bin`), crypto.randomBytes(largeBytes));
    entries++;
  }
  for (let i = 0; i < 1000; i++) {
    fs.symlinkSync(`file${i}.dat`, path.join(src, `d${i % 30}`, `sub${i % 300}`, `link${i}`));
    fs.linkSync(smallFiles[i * 7]!, path.join(path.dirname(smallFiles[i * 7]!), `hard${i}`));
    entries += 2;
  }
  return { entries, smallFiles };
}

function startDaemon(args: string[], ready: (out: string) => boolean): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(args[0]!, args.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready(out)) resolve(child);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`${args[0]} exited ${code}: ${out}`)));
  });
}

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** CPU seconds a process used so far (utime + stime of /proc/PID/stat, after its name). */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Waits until the receiver has used no CPU for a fifth of a second (at most 5 s): after a
 * session it starts the next one's writer, which reads its manifest, and that must not run
 * while rsync is timed.
 */
function settle(pid: number): void {
  let last = cpuSeconds(pid);
  for (let i = 0; i < 25; i++) {
    execFileSync("sleep", ["0.2"]);
    const now = cpuSeconds(pid);
    if (now === last) return;
    last = now;
  }
}

const FULL_REPEATS = 3;

function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/** Removes what a folder holds, keeping the folder (a daemon or receiver may be serving it). */
function emptyFolder(d: string): void {
  for (const name of fs.readdirSync(d)) sh("rm", ["-rf", path.join(d, name)]);
}

/**
 * tar c | TLS | tar x over loopback: socat with OpenSSL on both ends, a throwaway P-256
 * certificate, TLS 1.3 (AES-GCM). Returns the seconds from the start of tar c until tar x has
 * finished; the listener's start is not counted.
 */
function tarOverTls(src: string, out: string, port: number): () => number {
  const pem = path.join(dir, "tls-floor.pem");
  sh("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${pem}.key`, "-out", `${pem}.crt`, "-days", "1", "-subj", "/CN=localhost"]);
  fs.writeFileSync(pem, Buffer.concat([fs.readFileSync(`${pem}.key`), fs.readFileSync(`${pem}.crt`)]));
  const script = [
    `socat -b 262144 OPENSSL-LISTEN:${port},bind=127.0.0.1,reuseaddr,cert=${pem},verify=0 SYSTEM:"tar -C '${out}' -xf - --numeric-owner" & server=$!`,
    "sleep 0.3",
    "start=$(date +%s.%N)",
    `tar -C '${src}' -cf - . | socat -b 262144 -u - OPENSSL:127.0.0.1:${port},verify=0,retry=100,interval=0.01`,
    "wait $server",
    'echo "$start $(date +%s.%N)"',
  ].join("\n");
  return () => {
    const [start, end] = sh("bash", ["-c", script]).trim().split(" ").map(Number);
    return end! - start!;
  };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the file benchmark mounts a fresh filesystem and keeps owners: run it as root");
  fs.mkdirSync(dir, { recursive: true });
  const mnt = path.join(dir, "fs");
  spawnSync("umount", [mnt]);
  const unmount = mountFresh(mnt);
  const children: ChildProcess[] = [];
  try {
    const src = path.join(mnt, "src");
    console.log(`generating ${smallCount} small files, ${largeCount} × ${largeBytes / MiB} MiB, 1000 symlinks, 1000 hard links on a fresh ${fsKind}...`);
    const { entries, smallFiles } = generate(src);
    // The four copies land in memory (tmpfs, or an ext4 image's page cache): touch it first (see warm-memory.ts).
    const warmBytes = 5 * (smallCount * 4200 + largeCount * largeBytes);
    console.log(`warming ${(warmBytes / MiB).toFixed(0)} MiB of memory: ${warmMemory(warmBytes).seconds.toFixed(1)} s`);
    const bundle = path.join(dir, "ferry-agent.mjs");
    // The agent as it ships (agent/build.mjs: one file, with its worker threads' own bundles).
    sh(process.execPath, [path.join(AGENT_DIR, "build.mjs"), bundle]);

    const rsyncOut = path.join(mnt, "rsync-out");
    const ferryOut = path.join(mnt, "ferry-out");
    const tarOut = path.join(mnt, "tar-out");
    for (const d of [rsyncOut, ferryOut, tarOut]) fs.mkdirSync(d);
    const rsyncPort = await freePort();
    const conf = path.join(dir, "rsyncd.conf");
    fs.writeFileSync(conf, `uid = root\ngid = root\nuse chroot = no\npid file = ${dir}/rsyncd.pid\n[bench]\npath = ${rsyncOut}\nread only = false\nnumeric ids = yes\n`);
    fs.rmSync(`${dir}/rsyncd.pid`, { force: true });
    const rsyncd = spawn("rsync", ["--daemon", "--no-detach", `--config=${conf}`, `--port=${rsyncPort}`, "--address=127.0.0.1"], { stdio: "ignore" });
    children.push(rsyncd);
    await waitPort(rsyncPort);
    const ferryPort = await freePort();
    const receiver = await startDaemon(
      [process.execPath, bundle, "receive", "--listen", `127.0.0.1:${ferryPort}`, "--token", TOKEN, "--out", ferryOut],
      (out) => out.includes("listening"),
    );
    children.push(receiver);

    const rsync = () => void sh("rsync", ["-aHAX", "--numeric-ids", `${src}/`, `rsync://127.0.0.1:${rsyncPort}/bench/`]);
    const ferry = (isSync: boolean) =>
      sh(process.execPath, [bundle, "send", "--to", `127.0.0.1:${ferryPort}`, "--token", TOKEN, "--files", src, "--state", path.join(dir, "state"), ...(isSync ? ["--sync"] : [])]);
    const afterFerry = () => settle(receiver.pid!);
    fs.rmSync(path.join(dir, "state"), { recursive: true, force: true });

    const rows: { pass: string; tool: string; s: number; spread?: string }[] = [];
    const tar = () => void sh("sh", ["-c", `tar -C '${src}' -cf - . | tar -C '${tarOut}' -xf - --numeric-owner`]);
    const tarTls = hasCommand("socat") ? tarOverTls(src, tarOut, await freePort()) : null;
    if (!tarTls) console.log("socat is not installed (apt-get install socat): no tar | TLS | tar floor");
    let ferryLog = "";
    // Each returns the seconds it took, or nothing to be timed from outside.
    const full: [string, () => number | void][] = [
      ["tar | tar", tar],
      ...(tarTls ? [["tar|TLS|tar", tarTls] as [string, () => number]] : []),
      ["rsync", rsync],
      ["ferry", () => void (ferryLog = ferry(false))],
    ];
    const fullTimes = new Map<string, number[]>(full.map(([tool]) => [tool, []]));
    for (let i = 0; i < FULL_REPEATS; i++) {
      // Each copy starts from an empty target (and Ferry's sender from no cache).
      for (const d of [tarOut, rsyncOut, ferryOut]) emptyFolder(d);
      fs.rmSync(path.join(dir, "state"), { recursive: true, force: true });
      for (const [tool, run] of full) {
        const t = performance.now();
        const measured = run();
        fullTimes.get(tool)!.push(typeof measured === "number" ? measured : (performance.now() - t) / 1000);
        if (tool === "ferry") afterFerry();
      }
    }
    for (const [tool, times] of fullTimes) rows.push({ pass: "full", tool, s: median(times), spread: `${Math.min(...times).toFixed(2)}–${Math.max(...times).toFixed(2)}` });
    console.log(ferryLog.trim());
    // The short passes run REPEATS times, rsync and Ferry in turns, and report the median: one
    // pass of under a second swings by a fifth on a shared machine.
    const repeated = (pass: string, before: () => void) => {
      const times = { rsync: [] as number[], ferry: [] as number[] };
      for (let i = 0; i < repeats; i++) {
        before();
        times.rsync.push(seconds(rsync));
        times.ferry.push(seconds(() => (ferryLog = ferry(true))));
        afterFerry();
      }
      for (const tool of ["rsync", "ferry"] as const) rows.push({ pass, tool, s: median(times[tool]), spread: `${Math.min(...times[tool]).toFixed(2)}–${Math.max(...times[tool]).toFixed(2)}` });
      console.log(ferryLog.trim());
    };
    repeated("no change", () => undefined);
    const r = rand(7);
    repeated("1% changed", () => {
      // Another 1% of the files each time.
      const changed = new Set<string>();
      while (changed.size < Math.round(entries / 100)) changed.add(smallFiles[Math.floor(r() * smallFiles.length)]!);
      for (const p of changed) fs.appendFileSync(p, `changed ${crypto.randomBytes(8).toString("hex")}\n`);
    });

    const same = spawnSync("rsync", ["-naHAXi", "--numeric-ids", "--delete", "--exclude=/.ferry", `${src}/`, `${ferryOut}/`], { encoding: "utf8" });
    const differences = same.stdout.split("\n").filter((l) => l && !l.startsWith(".d..t")).length;

    console.log(`\n${entries} entries (${smallCount} small files, ${largeCount} × ${largeBytes / MiB} MiB), on ${fsKind}, ${process.env.BENCH_NOTE ?? ""}`);
    console.log(`pass        tool         seconds   entries/s   / rsync   (median of ${FULL_REPEATS} full, ${repeats} short passes; min–max)`);
    for (const row of rows) {
      const rs = rows.find((x) => x.pass === row.pass && x.tool === "rsync")!.s;
      const ratio = row.tool === "rsync" ? "" : (row.s / rs).toFixed(2);
      console.log(`${row.pass.padEnd(11)} ${row.tool.padEnd(12)} ${row.s.toFixed(2).padStart(7)} ${Math.round(entries / row.s).toString().padStart(11)}   ${ratio.padEnd(9)} ${row.spread ?? ""}`);
    }
    console.log(`rsync -n against Ferry's target: ${differences === 0 ? "identical" : `${differences} differences`}`);
  } finally {
    for (const c of children) c.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    unmount();
  }
}

await main();
