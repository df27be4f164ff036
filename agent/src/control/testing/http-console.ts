import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { CommandType } from "../../protocol/v1/control";
import { verifySignature } from "../../protocol/v1/signing";
import { signTaskCertificateRequestSchema, type TaskCertificateRole } from "../../protocol/v1/certificates";
import { targetCapabilitiesSchema } from "../../protocol/v1/register";
import { taskProgressRequestSchema, type TaskProgressRequest, type TaskProgressResponse } from "../../protocol/v1/tasks";
import { API } from "../agent-loop";
import { TestCa } from "./test-ca";

export const TEST_AK = "AKTASKTEST0001";
export const TEST_SK = "sk-task-test-secret-that-must-not-leak";

export type ConsoleCommand = {
  id: string;
  agentId: string;
  type: CommandType;
  payload: Record<string, unknown>;
  state: "queued" | "delivered" | "acked" | "succeeded" | "failed";
  deliveredCount: number;
  ackCount: number;
  result: { message: string; details?: Record<string, unknown> } | null;
  /** When the agent reported the result (ms since the epoch). */
  finishedAt?: number;
};

/**
 * The console's agent API over real HTTP, in memory: every request must carry a valid signature
 * (as the console checks it), commands are redelivered until acknowledged, task progress is kept
 * and answered by a function the test sets, and pass CSRs are signed by a CA of its own.
 */
export class HttpConsole {
  readonly registrations: { path: string; agentId: string; body: Record<string, unknown> }[] = [];
  readonly commands: ConsoleCommand[] = [];
  readonly progress: TaskProgressRequest[] = [];
  /** Pass certificates issued, in order; the target's is what task_send hands the source. */
  readonly certificates: { agentId: string; taskId: string; passId: string; role: TaskCertificateRole; csrPem: string; certPem: string }[] = [];
  ca!: TestCa;
  readonly unsigned: string[] = [];
  /** Every heartbeat, by agent and time received. */
  readonly heartbeats: { agentId: string; at: number }[] = [];
  /** Paths of requests whose body held a private key (an agent must never send one). */
  readonly privateKeysSeen: string[] = [];
  /** Bodies the protocol schemas refused (a contract bug in the agent). */
  readonly refused: string[] = [];
  answerProgress: (p: TaskProgressRequest) => TaskProgressResponse = () => ({ shouldContinue: true, limitBytesPerSecond: null });
  private server: http.Server | null = null;
  private readonly serverIds = new Map<string, string>();
  url = "";

  async start(): Promise<void> {
    this.ca = await TestCa.create();
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void this.handle(req, Buffer.concat(chunks)).then(
          ({ status, body }) => {
            res.writeHead(status, { "content-type": "application/json" });
            res.end(JSON.stringify(body));
          },
          (error: Error) => {
            res.writeHead(500, { "content-type": "application/json" });
            res.end(JSON.stringify({ error: { code: "INTERNAL", message: error.message } }));
          },
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  queue(agentId: string, type: CommandType, payload: Record<string, unknown>): ConsoleCommand {
    const command: ConsoleCommand = { id: randomUUID(), agentId, type, payload, state: "queued", deliveredCount: 0, ackCount: 0, result: null };
    this.commands.push(command);
    return command;
  }

  /** The certificate issued to a role of a pass, if that agent asked for one. */
  certificateOf(passId: string, role: TaskCertificateRole): string | undefined {
    return [...this.certificates].reverse().find((c) => c.passId === passId && c.role === role)?.certPem;
  }

  agentIdOf(path: string): string | undefined {
    return this.registrations.find((r) => r.path === path)?.agentId;
  }

  private async handle(req: http.IncomingMessage, raw: Buffer): Promise<{ status: number; body: unknown }> {
    const check = verifySignature({ method: req.method!, url: req.url!, headers: req.headers, body: raw, sk: TEST_SK, now: new Date() });
    if (!check.ok) {
      this.unsigned.push(req.url!);
      return { status: 401, body: { error: { code: "UNAUTHORIZED", message: "bad signature" } } };
    }
    const body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
    const path = req.url!.replace(/^\//, "");
    if (/PRIVATE KEY/.test(raw.toString("utf8"))) this.privateKeysSeen.push(path);
    const agentId = body.agentId as string;
    const command = () => this.commands.find((c) => c.id === body.commandId && c.agentId === agentId);
    switch (path) {
      case API.register:
      case API.registerTarget: {
        if (path === API.registerTarget && !targetCapabilitiesSchema.safeParse(body.target).success) {
          this.refused.push(`${path}: ${JSON.stringify(body.target)}`);
          return { status: 400, body: { error: { code: "BAD_REQUEST", message: "bad target capabilities" } } };
        }
        this.registrations.push({ path, agentId, body });
        const isNew = !this.serverIds.has(agentId);
        if (isNew) this.serverIds.set(agentId, randomUUID());
        return { status: 200, body: { serverId: this.serverIds.get(agentId), isNew, heartbeatIntervalSeconds: 1 } };
      }
      case API.heartbeat:
        this.heartbeats.push({ agentId, at: Date.now() });
        return { status: 200, body: { serverId: this.serverIds.get(agentId), heartbeatIntervalSeconds: 1 } };
      case API.poll: {
        const deadline = Date.now() + 150;
        for (;;) {
          const pending = this.commands.filter((c) => c.agentId === agentId && (c.state === "queued" || c.state === "delivered"));
          if (pending.length) {
            for (const c of pending) {
              c.state = "delivered";
              c.deliveredCount++;
            }
            return { status: 200, body: { commands: pending.map((c) => ({ id: c.id, type: c.type, payload: c.payload, deliveredCount: c.deliveredCount })) } };
          }
          if (Date.now() > deadline) return { status: 200, body: { commands: [] } };
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      case API.ack: {
        const c = command();
        if (!c) return { status: 404, body: { error: { code: "NOT_FOUND", message: "no such command" } } };
        c.ackCount++;
        if (c.state === "queued" || c.state === "delivered") c.state = "acked";
        return { status: 200, body: { state: c.state } };
      }
      case API.result: {
        const c = command();
        if (!c) return { status: 404, body: { error: { code: "NOT_FOUND", message: "no such command" } } };
        if (c.state !== "succeeded" && c.state !== "failed") {
          c.state = body.outcome as "succeeded" | "failed";
          c.finishedAt = Date.now();
          c.result = body.result as ConsoleCommand["result"];
        }
        return { status: 200, body: { state: c.state } };
      }
      case API.logs:
        return { status: 200, body: { logId: randomUUID() } };
      case API.taskProgress: {
        const parsed = taskProgressRequestSchema.safeParse(body);
        if (!parsed.success) {
          this.refused.push(`${path}: ${parsed.error.message}`);
          return { status: 400, body: { error: { code: "BAD_REQUEST", message: parsed.error.message } } };
        }
        const p = parsed.data;
        this.progress.push(p);
        return { status: 200, body: this.answerProgress(p) };
      }
      case API.taskCertificate: {
        const parsed = signTaskCertificateRequestSchema.safeParse(body);
        if (!parsed.success) {
          this.refused.push(`${path}: ${parsed.error.message}`);
          return { status: 400, body: { error: { code: "BAD_REQUEST", message: parsed.error.message } } };
        }
        const { taskId, passId, role, csrPem } = parsed.data;
        const certPem = await this.ca.sign(csrPem, { taskId, passId, role });
        this.certificates.push({ agentId, taskId, passId, role, csrPem, certPem });
        return { status: 200, body: { certPem, caPem: this.ca.caPem } };
      }
      default:
        return { status: 404, body: { error: { code: "NOT_FOUND", message: `no route ${path}` } } };
    }
  }
}
