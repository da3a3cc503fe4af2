/**
 * Differential test of mltrail/explain's permutation importance against scikit-learn's
 * `permutation_importance` (the MLflow venv's scikit-learn): the same linear model on both
 * sides, the same data, and scikit-learn's own row orders (recomputed from its seeding:
 * `randint` of the given RandomState seeds one RandomState whose successive shuffles of one
 * index array reorder the already-shuffled column) passed as `permutations`.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { permutationImportance } from "../../src/explain/index.js";
import type { MetricName, PredictFn } from "../../src/explain/index.js";
import { createRng } from "../../src/explain/rng.js";
import { mlflowPython } from "../support/mlflow-python.js";

const SCRIPT = `
import json, sys
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.inspection import permutation_importance
d = json.load(open(sys.argv[1]))
X, y, w = np.array(d["x"]), np.array(d["y"]), np.array(d["w"])
class Linear(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        return self
    def predict(self, X):
        return X @ w + d["b"]
out = {}
for scoring in ["r2", "neg_mean_squared_error"]:
    r = permutation_importance(Linear().fit(X, y), X, y, scoring=scoring, n_repeats=d["repeats"], random_state=d["seed"])
    out[scoring] = {"mean": r.importances_mean.tolist(), "std": r.importances_std.tolist(), "all": r.importances.tolist()}
seed = np.random.RandomState(d["seed"]).randint(np.iinfo(np.int32).max + 1)
rs = np.random.RandomState(seed)
idx, eff, perms = np.arange(len(X)), np.arange(len(X)), []
for _ in range(d["repeats"]):
    rs.shuffle(idx)
    eff = eff[idx]
    perms.append(eff.tolist())
out["perms"] = perms
print(json.dumps(out))
`;

interface SkResult {
  readonly mean: number[];
  readonly std: number[];
  readonly all: number[][];
}

describe("permutationImportance against scikit-learn", () => {
  it("equals permutation_importance with the same row orders, for r2 and (negated) mean squared error", async () => {
    const rng = createRng(17);
    const w = [2, -1, 0.5, 0];
    const b = 0.3;
    const x = Array.from({ length: 60 }, () => w.map(() => rng.next() * 4 - 2));
    const y = x.map((r) => r.reduce((s, v, j) => s + v * (w[j] ?? 0), b) + (rng.next() - 0.5));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-explain-sk-"));
    try {
      const input = path.join(dir, "input.json");
      fs.writeFileSync(input, JSON.stringify({ x, y, w, b, repeats: 4, seed: 11 }));
      const { stdout } = await promisify(execFile)(mlflowPython(), ["-c", SCRIPT, input], {
        env: { ...process.env, PYTHONWARNINGS: "ignore" },
        timeout: 120_000,
      });
      const sk = JSON.parse(stdout.trim().split("\n").pop() ?? "") as Record<"r2" | "neg_mean_squared_error", SkResult> & { perms: number[][] };
      const predict: PredictFn = (batch) => batch.map((r) => r.reduce((s, v, j) => s + v * (w[j] ?? 0), b));
      for (const [metric, key] of [
        ["r2", "r2"],
        ["mse", "neg_mean_squared_error"],
      ] as [MetricName, "r2" | "neg_mean_squared_error"][]) {
        const ours = await permutationImportance(predict, x, y, { metric, permutations: sk.perms });
        const theirs = sk[key];
        expect(theirs.mean[0]).toBeGreaterThan(0.1);
        for (let j = 0; j < w.length; j++) {
          expect(ours.importancesMean[j]).toBeCloseTo(theirs.mean[j] ?? Number.NaN, 10);
          expect(ours.importancesStd[j]).toBeCloseTo(theirs.std[j] ?? Number.NaN, 10);
          for (let r = 0; r < 4; r++) expect(ours.importances[j]?.[r]).toBeCloseTo(theirs.all[j]?.[r] ?? Number.NaN, 10);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
