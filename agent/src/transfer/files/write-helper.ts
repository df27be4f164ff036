/**
 * A second writer thread for small files: the writer hands it every other small file (bytes in
 * one moved buffer, paths already resolved), it checks the content hash and makes the file in one
 * native call, and answers on a port the writer reads synchronously. Creating files is mostly
 * kernel time, so two threads write about twice as many per second where cores are free.
 */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { smallFileHash } from "./file-hash";
import { loadNativeFs } from "./native/native-fs";

/** Paths and hash as latin1 strings: a small Buffer is a view of a shared 8 KiB pool, which a message would copy whole. */
export interface HelperJob {
  id: number;
  tmp: string;
  final: string;
  /** The file's bytes: a view of one buffer moved with the whole batch of jobs. */
  data: Uint8Array;
  hash: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtimeSec: number;
  mtimeNsec: number;
  flags: number;
}

export type HelperResult = { id: number; stat: Float64Array | null; code: string; message: string; data: Buffer };

export interface HelperInput {
  port: MessagePort;
  /** Int32[0]: result batches posted; the writer waits on it when it needs them all. */
  done: SharedArrayBuffer;
}

const native = loadNativeFs();
const { port, done } = workerData as HelperInput;
const counter = new Int32Array(done);

// Results go back once per batch of jobs: a message per file would cost more than writing it.
port.on("message", (jobs: HelperJob[]) => {
  const results: HelperResult[] = [];
  for (const j of jobs) {
    let result: HelperResult;
    const data = Buffer.from(j.data.buffer, j.data.byteOffset, j.data.byteLength);
    const empty = Buffer.alloc(0);
    if (smallFileHash(data).toString("latin1") !== j.hash) result = { id: j.id, stat: null, code: "EHASH", message: "content hash of the received bytes does not match the sender's", data: empty };
    else {
      try {
        const st = native.writeFile(Buffer.from(j.tmp, "latin1"), Buffer.from(j.final, "latin1"), data, j.size, j.mode, j.uid, j.gid, j.mtimeSec, j.mtimeNsec, j.flags);
        result = { id: j.id, stat: st, code: "", message: "", data: empty };
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        // The bytes go back (a copy of this file's alone) for the writer to retry another way.
        result = { id: j.id, stat: null, code: e.code ?? "EIO", message: e.message, data: Buffer.from(new Uint8Array(data)) };
      }
    }
    results.push(result);
  }
  port.postMessage(results);
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
});
parentPort?.on("message", () => undefined);
