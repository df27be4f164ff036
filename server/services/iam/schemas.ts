import { z } from "zod";
import { emailSchema, newPasswordSchema } from "../auth/schemas";

export const idSchema = z.string().uuid("Not a valid id");
export const nameSchema = z.string().trim().min(1, "Enter a name").max(64, "Use at most 64 characters");
export const descriptionSchema = z.string().trim().max(255, "Use at most 255 characters").default("");

export const createUserSchema = z.object({
  email: emailSchema,
  name: nameSchema,
  initialPassword: newPasswordSchema,
  groupIds: z.array(idSchema).max(20).default([]),
});
export type CreateUserInput = z.input<typeof createUserSchema>;

export const updateUserSchema = z.object({ userId: idSchema, name: nameSchema });
export const userIdSchema = z.object({ userId: idSchema });
export const setUserEnabledSchema = z.object({ userId: idSchema, isEnabled: z.boolean() });

export const changePasswordSchema = z
  .object({
    currentPassword: z.string().min(1, "Enter your current password").max(1024),
    newPassword: newPasswordSchema,
    confirmPassword: z.string(),
  })
  .refine((v) => v.newPassword === v.confirmPassword, { path: ["confirmPassword"], message: "The passwords do not match" })
  .refine((v) => v.newPassword !== v.currentPassword, { path: ["newPassword"], message: "Choose a password you have not used here" });
export type ChangePasswordInput = z.input<typeof changePasswordSchema>;

export const createGroupSchema = z.object({ name: nameSchema, description: descriptionSchema });
export const updateGroupSchema = z.object({ groupId: idSchema, name: nameSchema, description: descriptionSchema });
export const groupIdSchema = z.object({ groupId: idSchema });
export const groupMemberSchema = z.object({ groupId: idSchema, userId: idSchema });

export const policyDocumentInputSchema = z.union([z.string().max(65_536), z.record(z.string(), z.unknown())]);
export const createPolicySchema = z.object({
  name: nameSchema,
  description: descriptionSchema,
  document: policyDocumentInputSchema,
});
export const updatePolicySchema = createPolicySchema.extend({
  policyId: idSchema,
  /** The version the edit started from; a newer one on the server is a conflict. */
  version: z.number().int().min(1),
});
export const policyIdSchema = z.object({ policyId: idSchema });
export const attachmentSchema = z.object({
  policyId: idSchema,
  principalType: z.enum(["user", "group"]),
  principalId: idSchema,
});

export const createAccessKeySchema = z.object({
  userId: idSchema.optional(),
  description: descriptionSchema,
});
export const accessKeyIdSchema = z.object({ accessKeyId: z.string().regex(/^[A-Z0-9]{20}$/, "Not a valid access key id") });
export const setAccessKeyStatusSchema = accessKeyIdSchema.extend({ status: z.enum(["active", "inactive"]) });
export const listAccessKeysSchema = z.object({ userId: idSchema.optional() }).default({});
