/**
 * examples/explain-leak.ts, run as a user would (`npx tsx examples/explain-leak.ts`): two TF.js
 * releases, the second trained on a column that leaks the label; both release records carry the
 * Kernel SHAP explanation, `tracker.compareExplanations` flags the leaked column, and the model
 * report highlights it.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { Tracker } from "../../src/index.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

it("npx tsx examples/explain-leak.ts releases two versions with their explanations and flags the leaked column", async () => {
  const store = await fs.mkdtemp(path.join(os.tmpdir(), "mltrail-explain-example-"));
  try {
    const report = path.join(store, "report.html");
    const { stdout } = await run("npx", ["tsx", "examples/explain-leak.ts"], {
      cwd: root,
      env: { ...process.env, MLFLOW_TRACKING_URI: store, MLTRAIL_EXAMPLE_REPORT: report },
    });
    expect(stdout).toMatch(/released churn-explained@1\.0\.0 with explanation shap \(kernel-shap, sha256:[0-9a-f]{12}…\)/);
    expect(stdout).toMatch(/released churn-explained@1\.1\.0 with explanation shap \(kernel-shap, sha256:[0-9a-f]{12}…\)/);
    expect(stdout).toMatch(/^\d of 5 features changed from churn-explained@1\.0\.0 to churn-explained@1\.1\.0: account_closed rank \d→1/m);
    expect(stdout).toMatch(/^ {2}account_closed +rank \d→1 .*(rank|share)/m);
    expect(stdout).toContain("leak caught: account_closed");

    const tracker = new Tracker({ trackingUri: store, experiment: "explain-leak", captureContext: false, handleExit: false });
    const diff = await tracker.compareExplanations("churn-explained@1.0.0", "churn-explained@1.1.0");
    expect(diff.flagged[0]?.feature).toBe("account_closed");
    expect(diff.b.globalImportance["account_closed"]).toBeGreaterThan(diff.a.globalImportance["account_closed"] ?? Number.POSITIVE_INFINITY);
    await tracker.close();
    const html = await fs.readFile(report, "utf8");
    expect(html).toMatch(/<tr class="flagged" data-feature="account_closed">/);
  } finally {
    await fs.rm(store, { recursive: true, force: true });
  }
}, 180_000);
