// PLACEHOLDER: replaced by the pipeline work (issue 2 / 5).
export async function handleQueue(batch: MessageBatch, _env: Env, _ctx: ExecutionContext): Promise<void> {
  batch.retryAll();
}
