import { z } from "zod";
import { emailSchema, newPasswordSchema } from "../auth/schemas";

export const createFirstAccountSchema = z
  .object({
    accountName: z.string().trim().min(2, "Name the account (at least 2 characters)").max(100),
    name: z.string().trim().min(1, "Enter your name").max(100),
    email: emailSchema,
    password: newPasswordSchema,
    confirmPassword: z.string(),
  })
  .refine((v) => v.password === v.confirmPassword, {
    path: ["confirmPassword"],
    message: "The passwords do not match",
  });
export type CreateFirstAccountInput = z.infer<typeof createFirstAccountSchema>;
