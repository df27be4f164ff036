import agentPackage from "../../package.json" with { type: "json" };

export const AGENT_VERSION: string = agentPackage.version;
