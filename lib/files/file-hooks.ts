/**
 * File triggers as the file flows run them: the caller's request fields, the registered validator
 * first, then the handler, through the one hook runner. What a handler throws without a Parse code
 * takes the flow's code (130 for an upload, 131 for a delete), as parse-server answers.
 */
import type { FileHook, FileHookRequest, HookFile, Registered } from '../cloud/cloud-registry.js';
import { cloudRequestBase, validationTarget } from '../cloud/caller-fields.js';
import { runRegistered, type Failure } from '../cloud/hook-runner.js';
import type { OperationContext } from '../services.js';

/** Runs a file trigger on `file`; resolves once the handler (or its validator's skip) is done. */
export async function runFileHook(
  ctx: OperationContext,
  entry: Registered<FileHook>,
  trigger: FileHookRequest['triggerName'],
  file: HookFile,
  fileSize: number | null,
  failure?: Failure,
): Promise<void> {
  const request: FileHookRequest = { ...(await cloudRequestBase(ctx)), file, fileSize, triggerName: trigger };
  await runRegistered(entry, request, () => validationTarget(ctx, request, {}), failure);
}
