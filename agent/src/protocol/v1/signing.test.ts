import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  computeSignature,
  formatSdkDate,
  parseAuthorizationHeader,
  parseSdkDate,
  sha256Hex,
  signRequest,
  verifySignature,
  type HeaderSource,
} from "./signing";

describe("Huawei SDK-HMAC-SHA256 known answer", () => {
  const kat = {
    method: "GET",
    url: "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
    headers: {
      "Content-Type": "application/json",
      Host: "service.region.example.com",
      "X-Sdk-Date": "20191115T033655Z",
    },
    body: "",
    signedHeaders: ["content-type", "host", "x-sdk-date"],
  };

  it("hashes the canonical request to the published value", () => {
    expect(sha256Hex(canonicalRequest(kat))).toBe("b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a");
  });

  it("produces the published signature", () => {
    const signature = computeSignature({ ...kat, sk: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", sdkDate: "20191115T033655Z" });
    expect(signature).toBe("7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe");
  });

  it("builds the canonical request line by line", () => {
    expect(canonicalRequest(kat).split("\n")).toEqual([
      "GET",
      "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/",
      "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
      "content-type:application/json",
      "host:service.region.example.com",
      "x-sdk-date:20191115T033655Z",
      "",
      "content-type;host;x-sdk-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ]);
  });
});

describe("canonical parts", () => {
  it("encodes every path segment and always ends with a slash", () => {
    expect(canonicalUri("")).toBe("/");
    expect(canonicalUri("/")).toBe("/");
    expect(canonicalUri("/a b/c%2Fd/e*")).toBe("/a%20b/c%2Fd/e%2A/");
    expect(canonicalUri("/v1/x/")).toBe("/v1/x/");
  });

  it("sorts query keys and encodes keys and values", () => {
    expect(canonicalQuery("?b=2&a=x y&a=1&c")).toBe("a=1&a=x%20y&b=2&c=");
    expect(canonicalQuery("?name=%E4%B8%AD&q=a%2Bb")).toBe("name=%E4%B8%AD&q=a%2Bb");
    expect(canonicalQuery("")).toBe("");
  });

  it("formats and parses X-Sdk-Date strictly", () => {
    const date = new Date("2019-11-15T03:36:55.789Z");
    expect(formatSdkDate(date)).toBe("20191115T033655Z");
    expect(parseSdkDate("20191115T033655Z")?.toISOString()).toBe("2019-11-15T03:36:55.000Z");
    expect(parseSdkDate("20191315T033655Z")).toBeNull();
    expect(parseSdkDate("2019-11-15T03:36:55Z")).toBeNull();
    expect(parseSdkDate("20191115T033655")).toBeNull();
  });
});

describe("parseAuthorizationHeader", () => {
  const signature = "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe";

  it("reads the access key, signed headers and signature", () => {
    expect(
      parseAuthorizationHeader(
        `SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=${signature}`,
      ),
    ).toEqual({
      algorithm: "SDK-HMAC-SHA256",
      accessKey: "QTWAOYTTINDUT2QVKYUC",
      signedHeaders: ["content-type", "host", "x-sdk-date"],
      signature,
    });
  });

  it.each([
    ["another scheme", `Bearer abc`],
    ["another algorithm", `SDK-HMAC-SHA1 Access=AK, SignedHeaders=host, Signature=${signature}`],
    ["a missing field", `SDK-HMAC-SHA256 Access=AK, Signature=${signature}`],
    ["a repeated field", `SDK-HMAC-SHA256 Access=AK, Access=BK, SignedHeaders=host, Signature=${signature}`],
    ["an unknown field", `SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=${signature}, Extra=1`],
    ["a short signature", `SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=abc`],
    ["uppercase header names", `SDK-HMAC-SHA256 Access=AK, SignedHeaders=Host, Signature=${signature}`],
    ["unsorted headers", `SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date;host, Signature=${signature}`],
    ["duplicate headers", `SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;host, Signature=${signature}`],
    ["an empty header name", `SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;;x, Signature=${signature}`],
  ])("refuses %s", (_name, header) => {
    expect(parseAuthorizationHeader(header)).toBeNull();
  });
});

const AK = "QTWAOYTTINDUT2QVKYUC";
const SK = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc";
const NOW = new Date("2025-03-01T12:00:00Z");
const NONCE = "0123456789abcdef0123456789abcdef";

interface Request {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

function signed(request: Request, options: { date?: Date; nonce?: string } = {}): Request {
  const added = signRequest({ ...request, ak: AK, sk: SK, date: options.date ?? NOW, nonce: options.nonce });
  return { ...request, headers: { ...request.headers, ...added, Host: new URL(request.url).host } };
}

function verify(request: Request, now = NOW) {
  return verifySignature({ ...request, sk: SK, now });
}

const baseRequest: Request = {
  method: "POST",
  url: "https://ferry.example.com/api/agent/v1/servers/7f3c/progress?attempt=2&phase=sync",
  headers: { "Content-Type": "application/json", "X-Ferry-Agent": "1.0.0" },
  body: '{"percent":42}',
};

describe("signRequest and verifySignature", () => {
  it("accepts what it signed and exposes the access key and nonce", () => {
    const request = signed(baseRequest, { nonce: NONCE });
    expect(verify(request)).toEqual({ ok: true, accessKey: AK, nonce: NONCE, signedAt: new Date("2025-03-01T12:00:00Z") });
    expect(request.headers["X-Sdk-Date"]).toBe("20250301T120000Z");
    expect(parseAuthorizationHeader(request.headers.Authorization ?? "")?.signedHeaders).toEqual([
      "content-type",
      "host",
      "x-sdk-date",
      "x-sdk-nonce",
    ]);
  });

  it("generates a fresh 16-byte hex nonce per request", () => {
    const first = signRequest({ ...baseRequest, ak: AK, sk: SK })["X-Sdk-Nonce"];
    const second = signRequest({ ...baseRequest, ak: AK, sk: SK })["X-Sdk-Nonce"];
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(first).not.toBe(second);
  });

  it("works with Fetch Headers objects and a path-only URL on the server side", () => {
    const request = signed(baseRequest);
    const headers = new Headers(request.headers);
    const path = "/api/agent/v1/servers/7f3c/progress?phase=sync&attempt=2";
    expect(verifySignature({ method: "post", url: path, headers, body: request.body, sk: SK, now: NOW }).ok).toBe(true);
  });

  it("accepts a precomputed payload hash for streamed bodies", () => {
    const request = signed(baseRequest);
    const payloadHash = sha256Hex(baseRequest.body);
    expect(verifySignature({ ...request, body: undefined, payloadHash, sk: SK, now: NOW }).ok).toBe(true);
  });

  it("refuses a signature made with another secret key", () => {
    const request = signed(baseRequest);
    expect(verifySignature({ ...request, sk: `${SK.slice(0, -1)}X`, now: NOW })).toMatchObject({
      ok: false,
      reason: "signature-mismatch",
    });
  });

  it("refuses a changed method", () => {
    expect(verify({ ...signed(baseRequest), method: "PUT" })).toMatchObject({ reason: "signature-mismatch" });
  });

  it("refuses any changed character of the path or query", () => {
    const request = signed(baseRequest);
    const url = new URL(request.url);
    const target = url.pathname + url.search;
    fc.assert(
      fc.property(fc.nat({ max: target.length - 1 }), fc.constantFrom(..."abcXYZ019"), (index, replacement) => {
        fc.pre(target[index] !== replacement && index > 0);
        const tampered = `${url.origin}${target.slice(0, index)}${replacement}${target.slice(index + 1)}`;
        expect(verify({ ...request, url: tampered })).toMatchObject({ ok: false });
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a changed value of any signed header", () => {
    const request = signed(baseRequest);
    for (const name of ["Content-Type", "Host", "X-Sdk-Nonce"]) {
      const headers = { ...request.headers, [name]: `${request.headers[name]}0` };
      expect(verify({ ...request, headers }), name).toMatchObject({ ok: false });
    }
  });

  it("ignores headers it did not sign", () => {
    const request = signed(baseRequest);
    expect(verify({ ...request, headers: { ...request.headers, "X-Ferry-Agent": "2.0.0" } }).ok).toBe(true);
  });

  it("refuses any changed byte of the body", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 256 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (body, position, flip) => {
          const request = signed({ ...baseRequest, body });
          const tampered = Uint8Array.from(body);
          const index = position % body.length;
          tampered[index] = (tampered[index] ?? 0) ^ flip;
          expect(verify({ ...request, body: tampered })).toMatchObject({ ok: false, reason: "signature-mismatch" });
          expect(verify(request).ok).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("refuses dates outside the skew window in either direction, accepts them inside", () => {
    const request = signed(baseRequest);
    const minutes = (count: number) => new Date(NOW.getTime() + count * 60_000);
    expect(verify(request, minutes(5)).ok).toBe(true);
    expect(verify(request, minutes(-5)).ok).toBe(true);
    expect(verify(request, minutes(6))).toMatchObject({ ok: false, reason: "stale-date" });
    expect(verify(request, minutes(-6))).toMatchObject({ ok: false, reason: "stale-date" });
    expect(verifySignature({ ...request, sk: SK, now: minutes(6), maxSkewMs: 10 * 60_000 }).ok).toBe(true);
  });

  it("refuses a re-dated request, since the date is signed", () => {
    const request = signed(baseRequest);
    const headers = { ...request.headers, "X-Sdk-Date": "20250301T120001Z" };
    expect(verify({ ...request, headers })).toMatchObject({ ok: false, reason: "signature-mismatch" });
  });

  it("refuses a request whose nonce is missing from the headers", () => {
    const { "X-Sdk-Nonce": _nonce, ...headers } = signed(baseRequest).headers;
    expect(verify({ ...baseRequest, headers })).toMatchObject({ ok: false, reason: "signed-header-missing" });
  });

  it("refuses a request that does not sign the nonce, date, host or content type", () => {
    const sdkDate = formatSdkDate(NOW);
    const headers: Record<string, string> = {
      ...baseRequest.headers,
      Host: "ferry.example.com",
      "X-Sdk-Date": sdkDate,
      "X-Sdk-Nonce": NONCE,
    };
    for (const omitted of ["x-sdk-nonce", "x-sdk-date", "host", "content-type"]) {
      const signedHeaders = ["content-type", "host", "x-sdk-date", "x-sdk-nonce"].filter((name) => name !== omitted);
      const signature = computeSignature({ ...baseRequest, headers, signedHeaders, sk: SK, sdkDate });
      const authorization = `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=${signedHeaders.join(";")}, Signature=${signature}`;
      expect(verify({ ...baseRequest, headers: { ...headers, Authorization: authorization } }), omitted).toMatchObject({
        ok: false,
        reason: "required-header-unsigned",
      });
    }
  });

  it("refuses a malformed nonce or date even when signed", () => {
    const sdkDate = formatSdkDate(NOW);
    const signedHeaders = ["content-type", "host", "x-sdk-date", "x-sdk-nonce"];
    const cases: [Record<string, string>, string][] = [
      [{ "X-Sdk-Date": sdkDate, "X-Sdk-Nonce": "not-hex" }, "malformed-nonce"],
      [{ "X-Sdk-Date": "2025-03-01T12:00:00Z", "X-Sdk-Nonce": NONCE }, "malformed-date"],
    ];
    for (const [extra, reason] of cases) {
      const headers = { ...baseRequest.headers, Host: "ferry.example.com", ...extra };
      const signature = computeSignature({ ...baseRequest, headers, signedHeaders, sk: SK, sdkDate: extra["X-Sdk-Date"] ?? "" });
      const authorization = `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=${signedHeaders.join(";")}, Signature=${signature}`;
      expect(verify({ ...baseRequest, headers: { ...headers, Authorization: authorization } })).toMatchObject({ reason });
    }
  });

  it("refuses requests without or with a garbled Authorization header", () => {
    const request = signed(baseRequest);
    const { Authorization: _authorization, ...unsigned } = request.headers;
    expect(verify({ ...request, headers: unsigned })).toMatchObject({ reason: "missing-authorization" });
    const garbled = { ...request.headers, Authorization: "SDK-HMAC-SHA256 Access=AK" };
    expect(verify({ ...request, headers: garbled })).toMatchObject({ reason: "malformed-authorization" });
  });

  it("signs extra headers on request and refuses when they change", () => {
    const added = signRequest({ ...baseRequest, ak: AK, sk: SK, date: NOW, extraSignedHeaders: ["x-ferry-agent"] });
    const headers: HeaderSource = { ...baseRequest.headers, ...added, Host: "ferry.example.com" };
    expect(verifySignature({ ...baseRequest, headers, sk: SK, now: NOW }).ok).toBe(true);
    const changed = { ...headers, "X-Ferry-Agent": "9.9.9" };
    expect(verifySignature({ ...baseRequest, headers: changed, sk: SK, now: NOW }).ok).toBe(false);
  });

  it("refuses to sign with a malformed nonce or access key", () => {
    expect(() => signRequest({ ...baseRequest, ak: AK, sk: SK, nonce: "xyz" })).toThrow(/nonce/);
    expect(() => signRequest({ ...baseRequest, ak: "A K", sk: SK })).toThrow(/ak/);
  });
});

describe("module boundaries", () => {
  it("imports only Node built-ins, since both the agent and the server load it", () => {
    const source = readFileSync(new URL("./signing.ts", import.meta.url), "utf8");
    const imports = [...source.matchAll(/^import .* from "([^"]+)";$/gm)].map((match) => match[1]);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.every((name) => name?.startsWith("node:"))).toBe(true);
  });
});
