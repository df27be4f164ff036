export type PartitionStyle = "mbr" | "gpt" | "none";

const GPT_SIGNATURE = "EFI PART";
const MBR_PROTECTIVE_TYPE = 0xee;

/**
 * Reads the partition style from a disk's first sectors: a GPT header ("EFI PART") at LBA 1
 * (offset 512, or 4096 on 4Kn disks), else an MBR boot signature 0x55AA at offset 510.
 * A 0x55AA with a protective 0xEE entry but no readable GPT header is still GPT.
 */
export function partitionStyleFromHead(head: Buffer): PartitionStyle | null {
  if (head.length < 512) return null;
  for (const offset of [512, 4096]) {
    if (head.length >= offset + 8 && head.toString("latin1", offset, offset + 8) === GPT_SIGNATURE) return "gpt";
  }
  if (head[510] === 0x55 && head[511] === 0xaa) {
    const types = [446, 462, 478, 494].map((entry) => head[entry + 4]);
    if (types.includes(MBR_PROTECTIVE_TYPE)) return "gpt";
    return "mbr";
  }
  return "none";
}

/** lsblk and blkid call the MBR "dos". */
export function partitionStyleFromPtType(ptType: string | null): PartitionStyle | null {
  if (ptType === "gpt") return "gpt";
  if (ptType === "dos" || ptType === "mbr") return "mbr";
  return null;
}
