import { describe, expect, it } from "vitest";
import { isThinVolume, parseLvmJson, parseLvmSeparated } from "./lvm";

describe("parseLvmJson", () => {
  it("reads the rows of lvs --reportformat json", () => {
    const text = JSON.stringify({
      report: [{ lv: [
        { vg_name: "vg0", lv_name: "pool", lv_size: "10737418240", lv_attr: "twi-aotz--", segtype: "thin-pool" },
        { vg_name: "vg0", lv_name: "data", lv_size: "5368709120", lv_attr: "Vwi-aotz--", segtype: "thin" },
        { vg_name: "vg0", lv_name: "root", lv_size: "8589934592", lv_attr: "-wi-ao----", segtype: "linear" },
      ] }],
    });
    const rows = parseLvmJson(text, "lv");
    expect(rows.map((row) => [row.lv_name, isThinVolume(row)])).toEqual([
      ["pool", true],
      ["data", true],
      ["root", false],
    ]);
  });
});

describe("parseLvmSeparated", () => {
  it("reads the --separator output of old lvm2", () => {
    expect(parseLvmSeparated("  centos|root|39720058880\n  centos|swap|2147483648\n", "vg_name,lv_name,lv_size")).toEqual([
      { vg_name: "centos", lv_name: "root", lv_size: "39720058880" },
      { vg_name: "centos", lv_name: "swap", lv_size: "2147483648" },
    ]);
  });
});
