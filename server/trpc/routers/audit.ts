import { exportAuditEventsCsv, listAuditEvents } from "../../services/audit/list";
import { listAuditEventsSchema } from "../../services/audit/schemas";
import { authedProcedure, createRouter } from "../init";

export const auditRouter = createRouter({
  list: authedProcedure.meta({ action: "audit:trace:list" }).input(listAuditEventsSchema).query(({ ctx, input }) => listAuditEvents(ctx, input)),
  exportCsv: authedProcedure
    .meta({ action: "audit:trace:export" })
    .input(listAuditEventsSchema)
    .query(({ ctx, input }) => exportAuditEventsCsv(ctx, input)),
});
