/**
 * The artifact and media calls of a run (files, text, JSON, images, tables, figures, models,
 * datasets): each copies or writes its file into the run's artifacts and records it in the
 * run log. A base of {@link Run}, which holds the logging calls.
 *
 * @packageDocumentation
 */
import { ValidationError } from "./errors.js";
import {
  logArtifact,
  logArtifacts,
  logData,
  logDataset,
  logJson,
  logModel,
  type ArtifactContext,
  type ArtifactInfo,
  type ArtifactOptions,
  type DatasetInfo,
  type DatasetOptions,
  type LoggedModel,
  type LogModelOptions,
} from "./artifacts/run-artifacts.js";
import { logFigure, logImage, logTable, type ImageOptions, type LoggedImage, type TableInput } from "./media/log.js";
import type { ImageInput } from "./media/image.js";
import { checkRequiredOptions } from "./model/args.js";
import { ILL_FORMED_RULE, isWellFormedText } from "./model/validate.js";

/** The artifact and media calls of a {@link Run}. */
export abstract class RunArtifacts {
  /** Where the run's artifact calls write. */
  protected abstract readonly artifacts: ArtifactContext;

  /**
   * Copies a file into the run's artifacts (hashing it with sha256) and records it in the run
   * log; with a server it is uploaded in the background, surviving outages and crashes.
   * Paths with `..`, absolute paths, backslashes or NUL are rejected. A symlink is followed
   * (its target's bytes are stored under the link's name); a dangling link or a special file
   * (FIFO, socket, device) throws `SourceEntryError`.
   * @example `await run.logArtifact("plots/loss.png", { artifactPath: "plots" })`
   */
  logArtifact(localPath: string, options?: ArtifactOptions): Promise<ArtifactInfo> {
    return logArtifact(this.artifacts, localPath, options);
  }

  /**
   * Logs every file of a folder, keeping its structure under `artifactPath`. Symlinks are
   * followed, to files and folders, inside or outside the folder; no entry is ever skipped. A
   * dangling link, a link loop or a special file throws `SourceEntryError` naming its path,
   * before anything is recorded.
   * @example `await run.logArtifacts("out/", { artifactPath: "outputs" })`
   */
  logArtifacts(dir: string, options?: ArtifactOptions): Promise<ArtifactInfo[]> {
    return logArtifacts(this.artifacts, dir, options);
  }

  /**
   * Logs a text as an artifact file.
   * @example `await run.logText(summary, "model_summary.txt")`
   */
  logText(text: string, artifactPath: string): Promise<ArtifactInfo> {
    if (typeof text !== "string") return Promise.reject(new ValidationError("text", text, "must be a string"));
    if (!isWellFormedText(text)) return Promise.reject(new ValidationError("text", text, ILL_FORMED_RULE));
    return logData(this.artifacts, text, artifactPath);
  }

  /**
   * Logs a JSON value as an artifact file (pretty-printed). A circular reference, a bigint or
   * a value with no JSON form is rejected with a `ValidationError`.
   * @example `await run.logJSON({ threshold: 0.4 }, "config.json")`
   */
  logJSON(value: unknown, artifactPath: string): Promise<ArtifactInfo> {
    return logJson(this.artifacts, value, artifactPath);
  }

  /**
   * Logs an image: PNG or JPEG bytes, raw pixels `{ data, width, height }` (RGBA, RGB or grey)
   * or a TF.js tensor (`[h, w, c]`, floats in [0, 1]). With a key (`"samples"`, `"val/masks"`)
   * it is stored by step in MLflow's layout, so MLflow's image grid shows it with a step
   * slider; a path ending in `.png`/`.jpg` logs a plain file instead.
   * @example `await run.logImage(tf.browser.fromPixels(canvas), "samples", { step: epoch })`
   */
  logImage(image: ImageInput, path: string, options?: ImageOptions): Promise<LoggedImage> {
    return Promise.resolve().then(() => logImage(this.artifacts, image, path, options));
  }

  /**
   * Logs a table in MLflow's format (`{"columns", "data"}` JSON, listed in the tag
   * `mlflow.loggedArtifacts`), so `mlflow.load_table` reads it. Logging again to the same path
   * appends rows, as MLflow does. The path must end in `.json`.
   * @example `await run.logTable([{ text: "hi", score: 0.9 }], "eval/predictions.json")`
   */
  logTable(rows: TableInput, path: string): Promise<ArtifactInfo> {
    return Promise.resolve().then(() => logTable(this.artifacts, rows, path));
  }

  /**
   * Logs a chart as an SVG or HTML file (a `.svg` or `.html` path), shown by MLflow's
   * artifact viewer.
   * @example `await run.logFigure(svgText, "plots/roc.svg")`
   */
  logFigure(figure: string, path: string): Promise<ArtifactInfo> {
    return logFigure(this.artifacts, figure, path);
  }

  /**
   * Logs a model folder as artifacts with one content digest over all its files (tag
   * `mltrail.model/<artifactPath>`); `registerModel` uses it, so identical files make no new version.
   * Symlinks are followed as in `logArtifacts` (a Hugging Face cache snapshot logs every file).
   * @example `const { contentDigest } = await run.logModel("model/", { artifactPath: "model", signature })`
   */
  logModel(dir: string, options: LogModelOptions): Promise<LoggedModel> {
    return Promise.resolve().then(() => logModel(this.artifacts, dir, checkRequiredOptions("logModel options", options)));
  }

  /**
   * Records a dataset input: its DVC-compatible md5 (equal to what `dvc add` records) and
   * sha256 when given a `path`, and what DVC already knows about it from `.dvc` files or
   * `dvc.lock`. With a server it becomes an MLflow dataset input. `path` must be a regular file
   * or a folder (symlinks followed as in `logArtifacts`); anything else throws `SourceEntryError`.
   * @example `await run.logDataset({ name: "churn-train", path: "data/train.csv", context: "training" })`
   */
  logDataset(options: DatasetOptions): Promise<DatasetInfo> {
    return Promise.resolve().then(() => logDataset(this.artifacts, checkRequiredOptions("logDataset options", options)));
  }
}
