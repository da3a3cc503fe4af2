/**
 * Names of the tags MLflow gives a meaning to, spelled once. MLflow's UI reads them (run name,
 * parent, user, source and git columns, notes, dataset context, experiment kind), so mltrail
 * writes and reads exactly these keys.
 *
 * @example `run.data.tags[MLFLOW_TAGS.gitCommit]`
 */
export const MLFLOW_TAGS = {
  runName: "mlflow.runName",
  parentRunId: "mlflow.parentRunId",
  user: "mlflow.user",
  sourceName: "mlflow.source.name",
  sourceType: "mlflow.source.type",
  gitCommit: "mlflow.source.git.commit",
  gitBranch: "mlflow.source.git.branch",
  gitRepoUrl: "mlflow.source.git.repoURL",
  gitDirty: "mlflow.source.git.dirty",
  noteContent: "mlflow.note.content",
  dataContext: "mlflow.data.context",
  experimentKind: "mlflow.experimentKind",
} as const;

/** Tag that carries a run's client-side key on every backend, for idempotent creation and read-your-writes. */
export const RUN_KEY_TAG = "mltrail.runKey";
