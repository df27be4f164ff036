import { describe, expect, it } from "vitest";
import { FrameDecoder, FrameType, MAX_FRAME_PAYLOAD, controlFrame, crc32, encodeHeader, parseControlPayload } from "./frames";

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
});
