import { listCommands, queueCommand } from "../../services/servers/commands";
import { deleteServer } from "../../services/servers/delete";
import { getServer } from "../../services/servers/get";
import { listServers } from "../../services/servers/list";
import { recheckServer } from "../../services/servers/recheck";
import { getAgentLog, listAgentLogs } from "../../services/servers/logs";
import { listServersSchema, logIdSchema, queueCommandSchema, serverIdSchema } from "../../services/servers/schemas";
import { authedProcedure as p, createRouter } from "../init";

export const serversRouter = createRouter({
  list: p.meta({ action: "sms:server:list" }).input(listServersSchema).query(({ ctx, input }) => listServers(ctx, input)),
  get: p.meta({ action: "sms:server:get" }).input(serverIdSchema).query(({ ctx, input }) => getServer(ctx, input)),
  recheck: p.meta({ action: "sms:server:update" }).input(serverIdSchema).mutation(({ ctx, input }) => recheckServer(ctx, input)),
  delete: p.meta({ action: "sms:server:delete" }).input(serverIdSchema).mutation(({ ctx, input }) => deleteServer(ctx, input)),
  queueCommand: p.meta({ action: "sms:command:create" }).input(queueCommandSchema).mutation(({ ctx, input }) => queueCommand(ctx, input)),
  listCommands: p.meta({ action: "sms:command:list" }).input(serverIdSchema).query(({ ctx, input }) => listCommands(ctx, input)),
  listLogs: p.meta({ action: "sms:log:get" }).input(serverIdSchema).query(({ ctx, input }) => listAgentLogs(ctx, input)),
  getLog: p.meta({ action: "sms:log:get" }).input(logIdSchema).query(({ ctx, input }) => getAgentLog(ctx, input)),
});
