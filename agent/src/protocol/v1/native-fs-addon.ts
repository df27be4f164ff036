import { z } from "zod";

/**
 * GET /api/agent/download/native — the file-transfer addon the console built for its own machine,
 * for agents that cannot compile it. Unsigned, like the agent download: it is the same code for
 * everyone with no secret in it; the agent trusts it through the console's verified TLS and checks
 * the SHA-256 header against the bytes. The answer is the raw shared object, or 404 with the
 * agent API's error body saying why this console has no build for that key.
 */
export const NATIVE_FS_ADDON_PATH = "api/agent/download/native";

export const NATIVE_FS_SHA256_HEADER = "x-ferry-native-fs-sha256";
export const NATIVE_FS_KEY_HEADER = "x-ferry-native-fs-key";

/** Far above the addon's size (tens of KiB): a bound on what an agent reads into memory. */
export const NATIVE_FS_MAX_BYTES = 8 * 1024 * 1024;

/** The query names the build the agent needs; the key alone decides, the rest makes the refusal clear. */
export const nativeFsAddonQuerySchema = z.strictObject({
  platform: z.string().regex(/^[a-z0-9_]{1,32}$/),
  arch: z.string().regex(/^[a-z0-9_]{1,32}$/),
  napi: z.coerce.number().int().min(1).max(10_000),
  key: z.string().regex(/^[0-9a-f]{16}$/),
});
export type NativeFsAddonQuery = z.infer<typeof nativeFsAddonQuerySchema>;
