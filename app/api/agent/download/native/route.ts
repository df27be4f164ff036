import { NATIVE_FS_KEY_HEADER, NATIVE_FS_SHA256_HEADER, nativeFsAddonQuerySchema } from "@/agent/src/protocol/v1/native-fs-addon";
import { findNativeFsAddon, getNativeFsAddon } from "@/server/services/agent-bundle/native-fs-addon";

export const dynamic = "force-dynamic";

/**
 * The agent's file-transfer addon, for agents that cannot compile it. Public, like the agent
 * download: an agent fetches it at start-up with nothing but the console's URL, and the file is
 * code built from the agent's own sources with no secret in it. Only the exact build this console
 * made (platform, arch, N-API version and key) is served; anything else is 404 with the reason.
 */
export async function GET(request: Request) {
  const query = nativeFsAddonQuerySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) {
    return Response.json(
      { error: { code: "BAD_REQUEST", message: "give platform, arch, napi and key (16 hex digits) as the agent computes them" } },
      { status: 400 },
    );
  }
  const found = findNativeFsAddon(await getNativeFsAddon(), query.data);
  if (!found.isServed) return Response.json({ error: { code: "NOT_FOUND", message: found.message } }, { status: 404 });
  return new Response(new Uint8Array(found.bytes), {
    headers: {
      "content-type": "application/octet-stream",
      "content-disposition": `attachment; filename="ferry-fs-${found.key}.node"`,
      [NATIVE_FS_SHA256_HEADER]: found.sha256,
      [NATIVE_FS_KEY_HEADER]: found.key,
      "cache-control": "no-cache",
    },
  });
}
