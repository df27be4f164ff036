import { deleteTask, launchTask, setTaskContinuousSync, setTaskSpeedLimit, startTask, stopTask, syncTask } from "../../services/tasks/actions";
import { createTask } from "../../services/tasks/create";
import { estimateTask, estimateTaskSchema } from "../../services/tasks/estimate";
import { getTask, listTasks } from "../../services/tasks/read";
import { createTaskSchema, launchTaskSchema, listTasksSchema, setContinuousSyncSchema, setTaskLimitSchema, taskActionSchema, taskIdSchema } from "../../services/tasks/schemas";
import { authedProcedure as p, createRouter } from "../init";

export const tasksRouter = createRouter({
  list: p.meta({ action: "sms:task:list" }).input(listTasksSchema).query(({ ctx, input }) => listTasks(ctx, input)),
  get: p.meta({ action: "sms:task:get" }).input(taskIdSchema).query(({ ctx, input }) => getTask(ctx, input)),
  estimate: p.meta({ action: "sms:task:get" }).input(estimateTaskSchema).query(({ ctx, input }) => estimateTask(ctx, input)),
  create: p.meta({ action: "sms:task:create" }).input(createTaskSchema).mutation(({ ctx, input }) => createTask(ctx, input)),
  start: p.meta({ action: "sms:task:start" }).input(taskActionSchema).mutation(({ ctx, input }) => startTask(ctx, input)),
  sync: p.meta({ action: "sms:task:sync" }).input(taskActionSchema).mutation(({ ctx, input }) => syncTask(ctx, input)),
  stop: p.meta({ action: "sms:task:stop" }).input(taskActionSchema).mutation(({ ctx, input }) => stopTask(ctx, input)),
  launch: p.meta({ action: "sms:task:launch" }).input(launchTaskSchema).mutation(({ ctx, input }) => launchTask(ctx, input)),
  delete: p.meta({ action: "sms:task:delete" }).input(taskActionSchema).mutation(({ ctx, input }) => deleteTask(ctx, input)),
  setContinuousSync: p.meta({ action: "sms:task:update" }).input(setContinuousSyncSchema).mutation(({ ctx, input }) => setTaskContinuousSync(ctx, input)),
  setSpeedLimit: p.meta({ action: "sms:task:update" }).input(setTaskLimitSchema).mutation(({ ctx, input }) => setTaskSpeedLimit(ctx, input)),
});
