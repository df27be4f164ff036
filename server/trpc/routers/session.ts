import { authedProcedure, createRouter } from "../init";

export const sessionRouter = createRouter({
  me: authedProcedure.query(({ ctx }) => ({
    userId: ctx.actor.userId,
    email: ctx.actor.email,
    name: ctx.actor.name,
    accountId: ctx.actor.accountId,
    accountName: ctx.actor.accountName,
    isAccountOwner: ctx.actor.isAccountOwner,
  })),
});
