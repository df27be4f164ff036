import { changeOwnPassword } from "../../services/iam/users";
import { changePasswordSchema } from "../../services/iam/schemas";
import { listMyAllowedActions } from "../../services/auth/permissions";
import { authedProcedure, createRouter } from "../init";

/** Self-service on the caller's own session: no policy is needed to know yourself or change your password. */
export const sessionRouter = createRouter({
  me: authedProcedure.meta({ access: "self" }).query(({ ctx }) => ({
    userId: ctx.actor.userId,
    email: ctx.actor.email,
    name: ctx.actor.name,
    accountId: ctx.actor.accountId,
    accountName: ctx.actor.accountName,
    isAccountOwner: ctx.actor.isAccountOwner,
  })),
  allowedActions: authedProcedure.meta({ access: "self" }).query(({ ctx }) => listMyAllowedActions(ctx)),
  changePassword: authedProcedure.meta({ access: "self" }).input(changePasswordSchema).mutation(({ ctx, input }) => changeOwnPassword(ctx, input)),
});
