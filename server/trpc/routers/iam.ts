import { z } from "zod";
import { attachPolicy, createPolicy, deletePolicy, detachPolicy, getPolicy, listAttachedPolicies, listPolicies, updatePolicy } from "../../services/iam/policies";
import { createAccessKey, deleteAccessKey, listAccessKeys, setAccessKeyStatus } from "../../services/iam/access-keys";
import { addUserToGroup, createGroup, deleteGroup, getGroup, listGroups, removeUserFromGroup, updateGroup } from "../../services/iam/groups";
import {
  accessKeyIdSchema,
  attachmentSchema,
  createAccessKeySchema,
  createGroupSchema,
  createPolicySchema,
  createUserSchema,
  groupIdSchema,
  groupMemberSchema,
  idSchema,
  listAccessKeysSchema,
  policyIdSchema,
  setAccessKeyStatusSchema,
  setUserEnabledSchema,
  updateGroupSchema,
  updatePolicySchema,
  updateUserSchema,
  userIdSchema,
} from "../../services/iam/schemas";
import { createUser, deleteUser, getUser, listUsers, setUserEnabled, updateUser } from "../../services/iam/users";
import { authedProcedure as p, createRouter } from "../init";

const usersRouter = createRouter({
  list: p.meta({ action: "iam:user:list" }).query(({ ctx }) => listUsers(ctx)),
  get: p.meta({ action: "iam:user:get" }).input(userIdSchema).query(({ ctx, input }) => getUser(ctx, input)),
  create: p.meta({ action: "iam:user:create" }).input(createUserSchema).mutation(({ ctx, input }) => createUser(ctx, input)),
  update: p.meta({ action: "iam:user:update" }).input(updateUserSchema).mutation(({ ctx, input }) => updateUser(ctx, input)),
  setEnabled: p.meta({ action: "iam:user:disable" }).input(setUserEnabledSchema).mutation(({ ctx, input }) => setUserEnabled(ctx, input)),
  delete: p.meta({ action: "iam:user:delete" }).input(userIdSchema).mutation(({ ctx, input }) => deleteUser(ctx, input)),
});

const groupsRouter = createRouter({
  list: p.meta({ action: "iam:group:list" }).query(({ ctx }) => listGroups(ctx)),
  get: p.meta({ action: "iam:group:get" }).input(groupIdSchema).query(({ ctx, input }) => getGroup(ctx, input)),
  create: p.meta({ action: "iam:group:create" }).input(createGroupSchema).mutation(({ ctx, input }) => createGroup(ctx, input)),
  update: p.meta({ action: "iam:group:update" }).input(updateGroupSchema).mutation(({ ctx, input }) => updateGroup(ctx, input)),
  delete: p.meta({ action: "iam:group:delete" }).input(groupIdSchema).mutation(({ ctx, input }) => deleteGroup(ctx, input)),
  addUser: p.meta({ action: "iam:group:addUser" }).input(groupMemberSchema).mutation(({ ctx, input }) => addUserToGroup(ctx, input)),
  removeUser: p.meta({ action: "iam:group:removeUser" }).input(groupMemberSchema).mutation(({ ctx, input }) => removeUserFromGroup(ctx, input)),
});

const policiesRouter = createRouter({
  list: p.meta({ action: "iam:policy:list" }).query(({ ctx }) => listPolicies(ctx)),
  get: p.meta({ action: "iam:policy:get" }).input(policyIdSchema).query(({ ctx, input }) => getPolicy(ctx, input)),
  listAttached: p
    .meta({ action: "iam:policy:list" })
    .input(z.object({ principalType: z.enum(["user", "group"]), principalId: idSchema }))
    .query(({ ctx, input }) => listAttachedPolicies(ctx, input)),
  create: p.meta({ action: "iam:policy:create" }).input(createPolicySchema).mutation(({ ctx, input }) => createPolicy(ctx, input)),
  update: p.meta({ action: "iam:policy:update" }).input(updatePolicySchema).mutation(({ ctx, input }) => updatePolicy(ctx, input)),
  delete: p.meta({ action: "iam:policy:delete" }).input(policyIdSchema).mutation(({ ctx, input }) => deletePolicy(ctx, input)),
  attach: p.meta({ action: "iam:policy:attach" }).input(attachmentSchema).mutation(({ ctx, input }) => attachPolicy(ctx, input)),
  detach: p.meta({ action: "iam:policy:detach" }).input(attachmentSchema).mutation(({ ctx, input }) => detachPolicy(ctx, input)),
});

const accessKeysRouter = createRouter({
  list: p.meta({ action: "iam:accessKey:list" }).input(listAccessKeysSchema).query(({ ctx, input }) => listAccessKeys(ctx, input)),
  create: p.meta({ action: "iam:accessKey:create" }).input(createAccessKeySchema).mutation(({ ctx, input }) => createAccessKey(ctx, input)),
  setStatus: p.meta({ action: "iam:accessKey:update" }).input(setAccessKeyStatusSchema).mutation(({ ctx, input }) => setAccessKeyStatus(ctx, input)),
  delete: p.meta({ action: "iam:accessKey:delete" }).input(accessKeyIdSchema).mutation(({ ctx, input }) => deleteAccessKey(ctx, input)),
});

export const iamRouter = createRouter({
  users: usersRouter,
  groups: groupsRouter,
  policies: policiesRouter,
  accessKeys: accessKeysRouter,
});
