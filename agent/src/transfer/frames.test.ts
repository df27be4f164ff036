import { describe, expect, it } from "vitest";
import { FrameDecoder, FrameFlag, FrameType, FRAME_HEADER_BYTES, MAX_FRAME_PAYLOAD, MAX_JOINED_PAYLOAD, controlFrame, crc32, decodeHeader, encodeHeader, parseControlPayload } from "./frames";

/** The frames in a byte stream as they are, parts not joined. */
function onWire(bytes: Buffer): { header: ReturnType<typeof decodeHeader>; payload: Buffer }[] {
  const out = [];
  for (let o = 0; o < bytes.length; ) {
    const header = decodeHeader(bytes.subarray(o));
    out.push({ header, payload: bytes.subarray(o + FRAME_HEADER_BYTES, o + FRAME_HEADER_BYTES + header.wireLength) });
    o += FRAME_HEADER_BYTES + header.wireLength;
  }
  return out;
}

describe("frames", () => {
  it("decodes frames however the stream is cut", () => {
    const payload = Buffer.from("x".repeat(1000));
    const data = Buffer.concat([
      encodeHeader({ type: FrameType.data, flags: 1, disk: 3, wireLength: payload.length, offset: 2 ** 40 + 5, rawLength: 1000, checksum: crc32([payload]), seq: 7 }),
      payload,
      ...controlFrame(FrameType.hello, { a: 1 }, Buffer.from([9, 9])),
    ]);
    for (const cut of [1, 7, 31, 33, 500, data.length]) {
      const d = new FrameDecoder();
      const frames = [];
      for (let i = 0; i < data.length; i += cut) frames.push(...d.push(data.subarray(i, i + cut)));
      expect(frames).toHaveLength(2);
      expect(frames[0]).toMatchObject({ type: FrameType.data, flags: 1, disk: 3, offset: 2 ** 40 + 5, seq: 7, rawLength: 1000 });
      expect(frames[0]!.payload.equals(payload)).toBe(true);
      expect(parseControlPayload(frames[1]!.payload).body).toEqual({ a: 1 });
      expect([...parseControlPayload(frames[1]!.payload).blob]).toEqual([9, 9]);
    }
  });

  it("refuses a frame longer than the protocol allows instead of buffering it", () => {
    const header = encodeHeader({ type: FrameType.data, flags: 0, disk: 0, wireLength: MAX_FRAME_PAYLOAD + 1, offset: 0, rawLength: 0, checksum: 0, seq: 0 });
    expect(() => new FrameDecoder().push(header)).toThrow(/exceeds/);
  });

  it("sends a large control frame in flagged parts and gives it back joined, however the stream is cut", () => {
    const blob = Buffer.from(Array.from({ length: 95 }, (_, i) => i));
    const parts = controlFrame(FrameType.hashes, { chunks: 3 }, blob, 10);
    const headers = onWire(Buffer.concat(parts)).map((f) => f.header);
    const payloadBytes = 4 + JSON.stringify({ chunks: 3 }).length + 95;
    expect(headers).toHaveLength(Math.ceil(payloadBytes / 10));
    expect(headers.map((h) => h.flags)).toEqual([...headers.slice(1).map(() => FrameFlag.continued), 0]);
    expect(headers.map((h) => h.offset)).toEqual(headers.map((_, i) => (i === 0 ? payloadBytes : i * 10)));
    const after = controlFrame(FrameType.done, { ok: true });
    const data = Buffer.concat([...parts, ...after]);
    for (const cut of [1, 9, FRAME_HEADER_BYTES + 3, 100, data.length]) {
      const d = new FrameDecoder();
      const frames = [];
      for (let i = 0; i < data.length; i += cut) frames.push(...d.push(data.subarray(i, i + cut)));
      expect(frames.map((f) => f.type)).toEqual([FrameType.hashes, FrameType.done]);
      expect(frames[0]).toMatchObject({ flags: 0, wireLength: payloadBytes, offset: 0, isJoined: true });
      expect(frames[0]!.payload.buffer.byteLength).toBe(payloadBytes);
      expect(parseControlPayload(frames[0]!.payload).body).toEqual({ chunks: 3 });
      expect(parseControlPayload(frames[0]!.payload).blob.equals(blob)).toBe(true);
    }
    // Small enough, one frame as before.
    expect(controlFrame(FrameType.hashes, { chunks: 3 }, blob)).toHaveLength(4);
  });

  it("refuses parts that do not add up: another frame between them, a gap, too few bytes, too long a whole", () => {
    const parts = controlFrame(FrameType.hashes, {}, Buffer.alloc(40, 1), 16);
    const frames = (): Buffer[][] => onWire(Buffer.concat(parts)).map((f) => [encodeHeader(f.header), f.payload]);
    const decode = (list: Buffer[][]) => new FrameDecoder().push(Buffer.concat(list.flat()));
    expect(decode(frames())).toHaveLength(1);
    const other = controlFrame(FrameType.limit, { bytesPerSecond: 1 });
    expect(() => decode([frames()[0]!, other, ...frames().slice(1)])).toThrow(/a part of frame type 6 at 16 was expected, not type 14 at 0/);
    expect(() => decode([frames()[0]!, ...frames().slice(2)])).toThrow(/at 16 was expected/);
    const shortened = frames();
    const last = shortened.at(-1)!;
    shortened[shortened.length - 1] = [encodeHeader({ ...decodeHeader(last[0]!), wireLength: last[1]!.length - 1 }), last[1]!.subarray(1)];
    expect(() => decode(shortened)).toThrow(/shorter than announced/);
    const huge = encodeHeader({ type: FrameType.hashes, flags: FrameFlag.continued, disk: 0, wireLength: 0, offset: MAX_JOINED_PAYLOAD + 1, rawLength: 0, checksum: crc32([]), seq: 0 });
    expect(() => new FrameDecoder().push(huge)).toThrow(/exceeds the protocol limit/);
  });
});
