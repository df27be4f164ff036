import { createFirstAccount } from "../../services/setup/create-first-account";
import { createFirstAccountSchema } from "../../services/setup/schemas";
import { isSetupNeeded } from "../../services/setup/status";
import { createRouter, publicProcedure } from "../init";

export const setupRouter = createRouter({
  status: publicProcedure.meta({ access: "public" }).query(async ({ ctx }) => ({ isNeeded: await isSetupNeeded(ctx.db) })),
  createFirstAccount: publicProcedure
    .meta({ access: "public" })
    .input(createFirstAccountSchema)
    .mutation(({ ctx, input }) => createFirstAccount(ctx.db, input, ctx.meta)),
});
