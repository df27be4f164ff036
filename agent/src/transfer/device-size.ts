import fs from "node:fs/promises";

export interface SourceInfo {
  size: number;
  isBlockDevice: boolean;
}

/**
 * Size of an image file or block device. Node cannot ask the kernel (no BLKGETSIZE64), but sysfs
 * gives a block device's size in 512-byte sectors. Character devices (e.g. /dev/full in tests)
 * have no size: null.
 */
export async function statTarget(path: string): Promise<{ size: number | null; isBlockDevice: boolean; isFile: boolean }> {
  const st = await fs.stat(path);
  if (st.isFile()) return { size: st.size, isBlockDevice: false, isFile: true };
  if (st.isBlockDevice()) {
    const major = Number((BigInt(st.rdev) >> 8n) & 0xfffn);
    const minor = Number((BigInt(st.rdev) & 0xffn) | ((BigInt(st.rdev) >> 12n) & 0xfff00n));
    const sectors = await fs.readFile(`/sys/dev/block/${major}:${minor}/size`, "utf8").catch(() => null);
    return { size: sectors === null ? null : Number(sectors.trim()) * 512, isBlockDevice: true, isFile: false };
  }
  return { size: null, isBlockDevice: false, isFile: false };
}
