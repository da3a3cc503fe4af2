/**
 * Refusals (401/403) rewritten into messages a user can act on: what the server refused, what
 * to change, and that the data is kept. The server's own text stays at the end.
 */
import { type ApiError, AuthenticationError, PermissionDeniedError } from "../errors.js";

/** Where the refusal happened. */
export type RefusalContext = "startRun" | "replication";

/**
 * The same error class, status and code, with a message saying what to do. 401: the server did
 * not accept the credentials; 403: they may not write to the experiment.
 * @example `throw withAuthHint(err, "churn", "startRun") // PermissionDeniedError: … ask an MLflow admin to grant EDIT …`
 */
export function withAuthHint(error: ApiError, experiment: string, context: RefusalContext): ApiError {
  const kept =
    context === "startRun"
      ? "Nothing was stored for this run."
      : "Replication is PAUSED: the records stay in the local run log and are sent by themselves once a probe (every authRetryMs) gets through.";
  const what =
    error instanceof AuthenticationError
      ? "The server did not accept the credentials: check MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD, MLFLOW_TRACKING_TOKEN or the auth option."
      : `The credentials may not write to experiment "${experiment}": an MLflow admin can grant them EDIT on it (basic-auth app: POST /api/3.0/mlflow/users/permissions/grant, or the permissions page of the UI).`;
  const said = error.message.slice(error.message.indexOf(`${error.errorCode}: `) + error.errorCode.length + 2);
  const Class = error instanceof AuthenticationError ? AuthenticationError : PermissionDeniedError;
  return new Class(error.status, error.errorCode, `${what} ${kept} (server: ${said})`, error.endpoint, { cause: error });
}
