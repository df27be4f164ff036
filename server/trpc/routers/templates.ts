import {
  createMigrationTemplate,
  deleteMigrationTemplate,
  getMigrationTemplate,
  listMigrationTemplates,
  updateMigrationTemplate,
} from "../../services/templates/migration-templates";
import {
  createMigrationTemplateSchema,
  createServerTemplateSchema,
  templateIdSchema,
  updateMigrationTemplateSchema,
  updateServerTemplateSchema,
} from "../../services/templates/schemas";
import { createServerTemplate, deleteServerTemplate, getServerTemplate, listServerTemplates, updateServerTemplate } from "../../services/templates/server-templates";
import { authedProcedure as p, createRouter } from "../init";

export const templatesRouter = createRouter({
  migration: createRouter({
    list: p.meta({ action: "sms:template:list" }).query(({ ctx }) => listMigrationTemplates(ctx)),
    get: p.meta({ action: "sms:template:get" }).input(templateIdSchema).query(({ ctx, input }) => getMigrationTemplate(ctx, input)),
    create: p.meta({ action: "sms:template:create" }).input(createMigrationTemplateSchema).mutation(({ ctx, input }) => createMigrationTemplate(ctx, input)),
    update: p.meta({ action: "sms:template:update" }).input(updateMigrationTemplateSchema).mutation(({ ctx, input }) => updateMigrationTemplate(ctx, input)),
    delete: p.meta({ action: "sms:template:delete" }).input(templateIdSchema).mutation(({ ctx, input }) => deleteMigrationTemplate(ctx, input)),
  }),
  server: createRouter({
    list: p.meta({ action: "sms:serverTemplate:list" }).query(({ ctx }) => listServerTemplates(ctx)),
    get: p.meta({ action: "sms:serverTemplate:get" }).input(templateIdSchema).query(({ ctx, input }) => getServerTemplate(ctx, input)),
    create: p.meta({ action: "sms:serverTemplate:create" }).input(createServerTemplateSchema).mutation(({ ctx, input }) => createServerTemplate(ctx, input)),
    update: p.meta({ action: "sms:serverTemplate:update" }).input(updateServerTemplateSchema).mutation(({ ctx, input }) => updateServerTemplate(ctx, input)),
    delete: p.meta({ action: "sms:serverTemplate:delete" }).input(templateIdSchema).mutation(({ ctx, input }) => deleteServerTemplate(ctx, input)),
  }),
});
