import { expect, type APIRequestContext } from "@playwright/test";

// Calls to the console's tRPC API from a test, as the signed-in browser page would make them
// (superjson envelope); a non-2xx answer fails the test with the server's message.

type TrpcEnvelope<T> = { result: { data: { json: T } } };

export async function trpcMutation<T>(request: APIRequestContext, procedure: string, input: unknown): Promise<T> {
  const response = await request.post(`/api/trpc/${procedure}`, { data: { json: input } });
  expect(response.ok(), `${procedure}: ${await response.text()}`).toBe(true);
  return ((await response.json()) as TrpcEnvelope<T>).result.data.json;
}

export async function trpcQuery<T>(request: APIRequestContext, procedure: string, input: unknown): Promise<T> {
  const response = await request.get(`/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`);
  expect(response.ok(), `${procedure}: ${await response.text()}`).toBe(true);
  return ((await response.json()) as TrpcEnvelope<T>).result.data.json;
}
