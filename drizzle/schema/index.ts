// The one barrel file: drizzle-kit and the drizzle client read the whole schema from here.
export * from "./accounts";
export * from "./audit-events";
export * from "./certificates";
export * from "./iam";
export * from "./servers";
export * from "./sign-in-attempts";
export * from "./tasks";
export * from "./templates";
