// PLACEHOLDER: replaced by the control-plane work (issue 4).
export async function runScheduled(_c: ScheduledController, _env: Env, _ctx: ExecutionContext): Promise<void> {
  console.log(JSON.stringify({ msg: "scheduled: revalidation not wired yet" }));
}
