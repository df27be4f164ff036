import fs from "node:fs";
import { AGENT_BUNDLE_FILE_NAME, getAgentBundle } from "@/server/services/agent-bundle/bundle";

export const dynamic = "force-dynamic";

/**
 * The agent bundle. Public on purpose: a server being set up has no console session, and the file
 * is the same code for everyone with no secret in it. The Agent page shows its SHA-256 to check it.
 */
export async function GET() {
  try {
    const bundle = await getAgentBundle();
    return new Response(fs.readFileSync(bundle.file), {
      headers: {
        "content-type": "text/javascript; charset=utf-8",
        "content-disposition": `attachment; filename="${AGENT_BUNDLE_FILE_NAME}"`,
        "x-ferry-agent-sha256": bundle.sha256,
        "x-ferry-agent-version": bundle.version,
        "cache-control": "no-cache",
      },
    });
  } catch (error) {
    console.error("[agent-download] the agent bundle could not be built:", error);
    return Response.json({ error: { code: "UNAVAILABLE", message: "The agent bundle could not be built; see the console's log." } }, { status: 503 });
  }
}
