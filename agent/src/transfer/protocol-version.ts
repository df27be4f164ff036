/**
 * A sender of another agent version is told so in words before its HELLO is parsed: the schema
 * alone would answer with a zod issue list about a literal, which says nothing to a user who
 * upgraded one server and not the other.
 */
export function assertSameProtocol(body: unknown, expected: number, what: "block" | "file"): void {
  const got = typeof body === "object" && body !== null ? (body as { protocol?: unknown }).protocol : undefined;
  if (got === expected) return;
  throw new Error(
    `the sender speaks ${what} transfer protocol ${typeof got === "number" ? got : "(none)"} and this receiver ${expected}: run the same ferry-agent version on both servers`,
  );
}
