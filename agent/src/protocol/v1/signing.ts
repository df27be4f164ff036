/**
 * Request signing for the agent API: Huawei Cloud's SDK-HMAC-SHA256 scheme, so that an agent holding
 * an access key (AK) and secret key (SK) can sign each request and the server can verify it.
 *
 * The agent imports this module as a client and the server as a verifier, so it uses Node built-ins
 * only. Nonce replay storage is the server's job; verifySignature returns the nonce for it.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SIGNING_ALGORITHM = "SDK-HMAC-SHA256";
export const DEFAULT_MAX_SKEW_MS = 5 * 60 * 1000;

/** Headers that every request must sign, whatever else it signs. */
export const REQUIRED_SIGNED_HEADERS = ["host", "x-sdk-date", "x-sdk-nonce"] as const;

const NONCE_PATTERN = /^[0-9a-f]{32}$/;
const SDK_DATE_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const SIGNATURE_PATTERN = /^[0-9a-f]{64}$/;
const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const ACCESS_KEY_PATTERN = /^[A-Za-z0-9]{1,128}$/;

/** A Fetch `Headers` object or a plain record such as Node's IncomingHttpHeaders. */
export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** Raw bytes of the body; a string is hashed as UTF-8. */
export type RequestBody = string | Uint8Array | null | undefined;

export interface CanonicalRequestInput {
  method: string;
  /** Absolute URL, or a path with query ("/v1/x?y=1") as a server route sees it. */
  url: string;
  headers: HeaderSource;
  /** Lowercase header names to sign; they must be present in `headers`. */
  signedHeaders: readonly string[];
  body?: RequestBody;
  /** Hex SHA-256 of the body, for callers that streamed it; overrides `body`. */
  payloadHash?: string;
}

export interface ComputeSignatureInput extends CanonicalRequestInput {
  sk: string;
  /** The X-Sdk-Date value, `YYYYMMDDTHHMMSSZ`. */
  sdkDate: string;
}

export interface SignRequestInput {
  method: string;
  url: string;
  headers?: HeaderSource;
  body?: RequestBody;
  payloadHash?: string;
  ak: string;
  sk: string;
  date?: Date;
  /** 32 lowercase hex characters; random when omitted. */
  nonce?: string;
  /** More headers to sign besides host, x-sdk-date, x-sdk-nonce and content-type. */
  extraSignedHeaders?: readonly string[];
}

export interface SignedRequestHeaders {
  "X-Sdk-Date": string;
  "X-Sdk-Nonce": string;
  Authorization: string;
}

export interface ParsedAuthorization {
  algorithm: typeof SIGNING_ALGORITHM;
  accessKey: string;
  signedHeaders: string[];
  signature: string;
}

export interface VerifySignatureInput {
  method: string;
  url: string;
  headers: HeaderSource;
  body?: RequestBody;
  payloadHash?: string;
  sk: string;
  now: Date;
  maxSkewMs?: number;
}

export type VerifyFailureReason =
  | "missing-authorization"
  | "malformed-authorization"
  | "required-header-unsigned"
  | "signed-header-missing"
  | "malformed-date"
  | "stale-date"
  | "malformed-nonce"
  | "signature-mismatch";

export type VerifySignatureResult =
  | { ok: true; accessKey: string; nonce: string; signedAt: Date }
  | { ok: false; reason: VerifyFailureReason; message: string };

/** RFC 3986 unreserved characters stay as they are; everything else is percent-encoded (UTF-8). */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function parseUrl(url: string): URL {
  // A path-only URL (what a route handler may hold) needs a base; the host is signed via its header.
  return new URL(url, "http://path-only.invalid");
}

/** Each path segment decoded then re-encoded, joined by "/", always ending with "/" (Huawei's rule). */
export function canonicalUri(pathname: string): string {
  const encoded = pathname
    .split("/")
    .map((segment) => uriEncode(decodeComponent(segment)))
    .join("/");
  const withLeadingSlash = encoded.startsWith("/") ? encoded : `/${encoded}`;
  return withLeadingSlash.endsWith("/") ? withLeadingSlash : `${withLeadingSlash}/`;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Keys sorted (then values of a repeated key), both URI-encoded, `k=v` joined by "&". */
export function canonicalQuery(search: string): string {
  const pairs = [...new URLSearchParams(search)];
  pairs.sort(([keyA, valueA], [keyB, valueB]) => compareCodeUnits(keyA, keyB) || compareCodeUnits(valueA, valueB));
  return pairs.map(([key, value]) => `${uriEncode(key)}=${uriEncode(value)}`).join("&");
}

/** Header names lowercased; repeated headers joined with "," as HTTP allows. */
export function normalizeHeaders(headers: HeaderSource): Map<string, string> {
  const normalized = new Map<string, string>();
  const add = (name: string, value: string) => {
    const key = name.toLowerCase();
    const previous = normalized.get(key);
    normalized.set(key, previous === undefined ? value : `${previous},${value}`);
  };
  if (typeof Headers !== "undefined" && headers instanceof Headers) {
    headers.forEach((value, name) => add(name, value));
    return normalized;
  }
  for (const [name, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (value === undefined) continue;
    if (typeof value === "string") add(name, value);
    else add(name, value.join(","));
  }
  return normalized;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function payloadHashOf(input: { body?: RequestBody; payloadHash?: string }): string {
  if (input.payloadHash !== undefined) {
    if (!SIGNATURE_PATTERN.test(input.payloadHash)) throw new Error("payloadHash must be 64 lowercase hex characters");
    return input.payloadHash;
  }
  return sha256Hex(input.body ?? "");
}

/** The canonical request text; throws if a signed header is absent or badly named. */
export function canonicalRequest(input: CanonicalRequestInput): string {
  const url = parseUrl(input.url);
  const headers = normalizeHeaders(input.headers);
  const signedHeaders = [...input.signedHeaders].sort(compareCodeUnits);
  const headerLines = signedHeaders.map((name) => {
    if (!HEADER_NAME_PATTERN.test(name)) throw new Error(`Signed header name "${name}" must be a lowercase token`);
    const value = headers.get(name);
    if (value === undefined) throw new Error(`Signed header "${name}" is not present in the request`);
    return `${name}:${value.trim()}\n`;
  });
  return [
    input.method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQuery(url.search),
    headerLines.join(""),
    signedHeaders.join(";"),
    payloadHashOf(input),
  ].join("\n");
}

export function stringToSign(sdkDate: string, canonical: string): string {
  return `${SIGNING_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`;
}

/** Hex HMAC-SHA256(SK, string to sign) over exactly the given signed headers. */
export function computeSignature(input: ComputeSignatureInput): string {
  return createHmac("sha256", input.sk).update(stringToSign(input.sdkDate, canonicalRequest(input))).digest("hex");
}

export function formatSdkDate(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new Error("Cannot format an invalid date");
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
}

/** Parses `YYYYMMDDTHHMMSSZ` strictly (no rollover such as month 13); null when malformed. */
export function parseSdkDate(value: string): Date | null {
  const match = SDK_DATE_PATTERN.exec(value);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number, number, number, number, number, number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return formatSdkDate(date) === value ? date : null;
}

export function generateNonce(): string {
  return randomBytes(16).toString("hex");
}

export function formatAuthorizationHeader(parsed: Omit<ParsedAuthorization, "algorithm">): string {
  return `${SIGNING_ALGORITHM} Access=${parsed.accessKey}, SignedHeaders=${parsed.signedHeaders.join(";")}, Signature=${parsed.signature}`;
}

/** `SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b>, Signature=<hex>`; null when it is anything else. */
export function parseAuthorizationHeader(value: string): ParsedAuthorization | null {
  const trimmed = value.trim();
  const prefix = `${SIGNING_ALGORITHM} `;
  if (!trimmed.startsWith(prefix)) return null;
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(prefix.length).split(",")) {
    const separator = part.indexOf("=");
    if (separator < 0) return null;
    const key = part.slice(0, separator).trim();
    if (fields.has(key)) return null;
    fields.set(key, part.slice(separator + 1).trim());
  }
  const accessKey = fields.get("Access");
  const signedHeadersText = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (fields.size !== 3 || accessKey === undefined || signedHeadersText === undefined || signature === undefined) {
    return null;
  }
  if (!ACCESS_KEY_PATTERN.test(accessKey) || !SIGNATURE_PATTERN.test(signature)) return null;
  const signedHeaders = signedHeadersText.split(";");
  const isSortedAndUnique = signedHeaders.every(
    (name, index) => index === 0 || compareCodeUnits(signedHeaders[index - 1] ?? "", name) < 0,
  );
  if (!isSortedAndUnique || !signedHeaders.every((name) => HEADER_NAME_PATTERN.test(name))) return null;
  return { algorithm: SIGNING_ALGORITHM, accessKey, signedHeaders, signature };
}

/**
 * Signs a request; returns the headers to add (X-Sdk-Date, X-Sdk-Nonce, Authorization).
 * Host is taken from the URL unless given, and is not returned: fetch sets it from the URL.
 * Content-Type is signed when present, so set it explicitly (fetch adds one to string bodies).
 */
export function signRequest(input: SignRequestInput): SignedRequestHeaders {
  const nonce = input.nonce ?? generateNonce();
  if (!NONCE_PATTERN.test(nonce)) throw new Error("nonce must be 32 lowercase hex characters");
  if (!ACCESS_KEY_PATTERN.test(input.ak)) throw new Error("ak must be 1-128 letters or digits");
  const sdkDate = formatSdkDate(input.date ?? new Date());
  const headers = normalizeHeaders(input.headers ?? {});
  for (const name of ["x-sdk-date", "x-sdk-nonce", "authorization"]) headers.delete(name);
  if (!headers.has("host")) {
    if (!URL.canParse(input.url)) throw new Error("signRequest needs an absolute URL or a Host header");
    headers.set("host", new URL(input.url).host);
  }
  headers.set("x-sdk-date", sdkDate);
  headers.set("x-sdk-nonce", nonce);
  const toSign = new Set<string>([...REQUIRED_SIGNED_HEADERS, ...(input.extraSignedHeaders ?? [])]);
  if (headers.has("content-type")) toSign.add("content-type");
  const signedHeaders = [...toSign].map((name) => name.toLowerCase()).sort(compareCodeUnits);
  const signature = computeSignature({
    method: input.method,
    url: input.url,
    headers: Object.fromEntries(headers),
    signedHeaders,
    body: input.body,
    payloadHash: input.payloadHash,
    sk: input.sk,
    sdkDate,
  });
  return {
    "X-Sdk-Date": sdkDate,
    "X-Sdk-Nonce": nonce,
    Authorization: formatAuthorizationHeader({ accessKey: input.ak, signedHeaders, signature }),
  };
}

function failure(reason: VerifyFailureReason, message: string): VerifySignatureResult {
  return { ok: false, reason, message };
}

/**
 * Verifies a signed request against the SK of the access key named in its Authorization header
 * (parse it first with parseAuthorizationHeader to look the SK up). Does not check nonce reuse.
 */
export function verifySignature(input: VerifySignatureInput): VerifySignatureResult {
  const headers = normalizeHeaders(input.headers);
  const authorization = headers.get("authorization");
  if (authorization === undefined) return failure("missing-authorization", "Authorization header is missing");
  const parsed = parseAuthorizationHeader(authorization);
  if (!parsed) return failure("malformed-authorization", `Authorization header is not a valid ${SIGNING_ALGORITHM} header`);

  const mustSign = [...REQUIRED_SIGNED_HEADERS, ...(headers.has("content-type") ? ["content-type"] : [])];
  for (const name of mustSign) {
    if (!parsed.signedHeaders.includes(name)) {
      return failure("required-header-unsigned", `Header "${name}" must be signed`);
    }
  }
  for (const name of parsed.signedHeaders) {
    if (!headers.has(name)) return failure("signed-header-missing", `Signed header "${name}" is not present`);
  }

  const sdkDate = headers.get("x-sdk-date") ?? "";
  const signedAt = parseSdkDate(sdkDate.trim());
  if (!signedAt) return failure("malformed-date", "X-Sdk-Date must be YYYYMMDDTHHMMSSZ");
  const maxSkewMs = input.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (Math.abs(input.now.getTime() - signedAt.getTime()) > maxSkewMs) {
    return failure("stale-date", "X-Sdk-Date is outside the allowed clock skew");
  }
  const nonce = (headers.get("x-sdk-nonce") ?? "").trim();
  if (!NONCE_PATTERN.test(nonce)) return failure("malformed-nonce", "X-Sdk-Nonce must be 32 lowercase hex characters");

  const expected = computeSignature({
    method: input.method,
    url: input.url,
    headers: input.headers,
    signedHeaders: parsed.signedHeaders,
    body: input.body,
    payloadHash: input.payloadHash,
    sk: input.sk,
    sdkDate: sdkDate.trim(),
  });
  // Both are 64 hex characters (checked by the parser), so the buffers have equal length.
  const isMatch = timingSafeEqual(Buffer.from(expected, "hex"), Buffer.from(parsed.signature, "hex"));
  if (!isMatch) return failure("signature-mismatch", "Signature does not match the request");
  return { ok: true, accessKey: parsed.accessKey, nonce, signedAt };
}
