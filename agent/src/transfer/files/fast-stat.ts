import { ST, STAT_FIELDS } from "./native/native-fs";
import { EntryType, packed, type EntryTypeCode } from "./entry-codec";

/** One lstat as plain numbers (from the addon's doubles): no BigInts, no Dates, little garbage. */
export interface Stat {
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blocks: number;
  mtimeSec: number;
  mtimeNsec: number;
  ctimeSec: number;
  ctimeNsec: number;
  dev: number;
}

export function statAt(a: Float64Array, index = 0): Stat {
  const o = index * STAT_FIELDS;
  return {
    ino: packed(a[o + ST.ino]!),
    mode: packed(a[o + ST.mode]!),
    nlink: packed(a[o + ST.nlink]!),
    uid: packed(a[o + ST.uid]!),
    gid: packed(a[o + ST.gid]!),
    rdev: packed(a[o + ST.rdev]!),
    size: packed(a[o + ST.size]!),
    blocks: packed(a[o + ST.blocks]!),
    mtimeSec: packed(a[o + ST.mtimeSec]!),
    mtimeNsec: packed(a[o + ST.mtimeNsec]!),
    ctimeSec: packed(a[o + ST.ctimeSec]!),
    ctimeNsec: packed(a[o + ST.ctimeNsec]!),
    dev: packed(a[o + ST.dev]!),
  };
}

const S_IFMT = 0o170000;

/** The entry type of a mode, or 0 for a socket (or a vanished entry, mode 0). */
export function typeOfMode(mode: number): EntryTypeCode | 0 {
  switch (mode & S_IFMT) {
    case 0o100000:
      return EntryType.file;
    case 0o040000:
      return EntryType.dir;
    case 0o120000:
      return EntryType.symlink;
    case 0o020000:
      return EntryType.chr;
    case 0o060000:
      return EntryType.blk;
    case 0o010000:
      return EntryType.fifo;
    default:
      return 0;
  }
}

/** Splits scanDir's NUL-terminated names into latin1 strings. */
export function splitNames(names: Buffer): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const end = names.indexOf(0, start);
    if (end < 0) break;
    out.push(names.toString("latin1", start, end));
    start = end + 1;
  }
  return out;
}
