import { describe, expect, it } from "vitest";
import { isUserError } from "../errors";
import { sourceReportSchema } from "../protocol/v1/report";
import { discoverCommand, parseDiscoverArgs } from "./discover";

describe("discover command", () => {
  it.skipIf(process.platform !== "linux")("prints one line of JSON that is a valid report, and exits 0 (Linux only: discovery reads /proc and /sys)", async () => {
    let output = "";
    const code = await discoverCommand({ write: (text) => (output += text) });
    expect(code).toBe(0);
    expect(output.trim().split("\n")).toHaveLength(1);
    expect(sourceReportSchema.safeParse(JSON.parse(output)).success).toBe(true);
  });

  it.skipIf(process.platform !== "linux")("indents the JSON with --pretty (Linux only: discovery reads /proc and /sys)", async () => {
    let output = "";
    await discoverCommand({ pretty: true, write: (text) => (output += text) });
    expect(output).toMatch(/^\{\n {2}"hostname": /);
  });

  it("reads --pretty and --help", () => {
    expect(parseDiscoverArgs([])).toEqual({ help: false, pretty: false });
    expect(parseDiscoverArgs(["--pretty"])).toEqual({ help: false, pretty: true });
    expect(parseDiscoverArgs(["-h"])).toEqual({ help: true, pretty: false });
  });

  it("refuses an unknown option as a user mistake with exit code 2", () => {
    let error: unknown;
    try {
      parseDiscoverArgs(["--json"]);
    } catch (caught) {
      error = caught;
    }
    expect(isUserError(error)).toBe(true);
    expect((error as { exitCode: number }).exitCode).toBe(2);
  });
});
