import type { SourceReport } from "../protocol/v1/report";
import type { Host } from "./host";

export async function readTools(host: Host): Promise<SourceReport["tools"]> {
  return {
    rsync: (await host.findTool("rsync")) !== null,
    tc: (await host.findTool("tc")) !== null,
  };
}
