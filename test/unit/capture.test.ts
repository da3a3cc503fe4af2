import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { captureEnvironment, truncateValue } from "../../src/capture/environment.js";
import { maskArgs } from "../../src/capture/masking.js";
import { captureGit, sanitizeRemoteUrl } from "../../src/capture/git.js";
import { buildContextTags, captureContextTags } from "../../src/capture/tags.js";

let tmp: string;
let emptyConfig: string;

/** Runs git isolated from the machine's global and system config. */
function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_GLOBAL: emptyConfig, GIT_CONFIG_NOSYSTEM: "1" },
  }).trim();
}

/** A fresh repository on branch `main` with one commit of `train.js` and `package.json`. */
function makeRepo(name: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(path.join(dir, "src"), { recursive: true });
  git(dir, "-c", "init.defaultBranch=main", "init", "-q");
  writeFileSync(path.join(dir, "src", "train.js"), "console.log(1);\n");
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "churn-model", version: "1.4.0" }));
  git(dir, "add", ".");
  git(dir, "commit", "-q", "-m", "init");
  return dir;
}

function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

beforeAll(() => {
  tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), "mltrail-capture-")));
  emptyConfig = path.join(tmp, "empty.gitconfig");
  writeFileSync(emptyConfig, "");
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe("sanitizeRemoteUrl", () => {
  it.each([
    ["https://user:token@github.com/acme/x.git", "https://github.com/acme/x.git"],
    ["https://ghp_abc123@github.com/acme/x.git", "https://github.com/acme/x.git"],
    ["https://github.com/acme/x.git?private_token=abc", "https://github.com/acme/x.git"],
    ["ssh://git:hunter2@example.com:2222/acme/x.git", "ssh://git@example.com:2222/acme/x.git"],
    ["ssh://git@example.com/acme/x.git", "ssh://git@example.com/acme/x.git"],
    ["git@github.com:acme/x.git", "git@github.com:acme/x.git"],
    ["deploy:s3cret@host.example:acme/x.git", "deploy@host.example:acme/x.git"],
    ["github.com:acme/x.git", "github.com:acme/x.git"],
  ])("%s → %s", (input, expected) => {
    expect(sanitizeRemoteUrl(input)).toBe(expected);
  });

  it.each(["/srv/git/x.git", "../x.git", "file:///srv/git/x.git", "C:/repos/x.git", ""])("drops local path %j", (input) => {
    expect(sanitizeRemoteUrl(input)).toBeUndefined();
  });
});

describe("captureGit", () => {
  it("reads commit, branch, clean state, root and a stripped remote", async () => {
    const repo = makeRepo("clean");
    git(repo, "remote", "add", "origin", "https://alice:tok_SECRET@example.com/acme/churn.git");
    const info = await captureGit(path.join(repo, "src"));
    expect(info).toEqual({
      commit: git(repo, "rev-parse", "HEAD"),
      branch: "main",
      dirty: false,
      remoteUrl: "https://example.com/acme/churn.git",
      root: repo,
    });
  });

  it("reports dirty for a modified tracked file but not for an untracked one", async () => {
    const repo = makeRepo("dirty");
    writeFileSync(path.join(repo, "notes.txt"), "untracked\n");
    expect((await captureGit(repo))?.dirty).toBe(false);
    writeFileSync(path.join(repo, "src", "train.js"), "console.log(2);\n");
    expect((await captureGit(repo))?.dirty).toBe(true);
  });

  it("reads another branch and omits the branch on a detached HEAD", async () => {
    const repo = makeRepo("branches");
    git(repo, "checkout", "-q", "-b", "feature/lr-sweep");
    expect((await captureGit(repo))?.branch).toBe("feature/lr-sweep");
    git(repo, "checkout", "-q", "--detach");
    const detached = await captureGit(repo);
    expect(detached?.commit).toBe(git(repo, "rev-parse", "HEAD"));
    expect(detached).not.toHaveProperty("branch");
    expect(detached).not.toHaveProperty("remoteUrl");
  });

  it("returns undefined outside a repository and in a repository without commits", async () => {
    const outside = path.join(tmp, "outside");
    mkdirSync(outside, { recursive: true });
    vi.stubEnv("GIT_CEILING_DIRECTORIES", tmp);
    expect(await captureGit(outside)).toBeUndefined();
    const empty = path.join(tmp, "empty-repo");
    mkdirSync(empty);
    git(empty, "init", "-q");
    expect(await captureGit(empty)).toBeUndefined();
  });

  it("returns undefined when git is not installed", async () => {
    const repo = makeRepo("nogit");
    vi.stubEnv("PATH", path.join(tmp, "no-such-bin"));
    expect(await captureGit(repo)).toBeUndefined();
  });
});

describe("maskArgs and truncateValue", () => {
  it("masks secret flags, key=value secrets and URL credentials, and nothing else", () => {
    const args = [
      "--token=abc1",
      "--password",
      "hunter2",
      "--api-key",
      "k3y",
      "--client-secret=s3",
      "HF_TOKEN=hf4",
      "--accessToken",
      "at5",
      "--db",
      "postgres://u:pw6@db.local/x",
      "--lr",
      "0.1",
      "--max-tokens=512",
      "--tokenizer=bert",
      "--author=me",
      "--verbose",
    ];
    expect(maskArgs(args)).toEqual([
      "--token=***",
      "--password",
      "***",
      "--api-key",
      "***",
      "--client-secret=***",
      "HF_TOKEN=***",
      "--accessToken",
      "***",
      "--db",
      "postgres://***@db.local/x",
      "--lr",
      "0.1",
      "--max-tokens=512",
      "--tokenizer=bert",
      "--author=me",
      "--verbose",
    ]);
  });

  it("does not swallow the next flag after a secret flag without a value", () => {
    expect(maskArgs(["--token", "--epochs", "3"])).toEqual(["--token", "--epochs", "3"]);
  });

  it("cuts long values to 8000 chars without splitting a surrogate pair", () => {
    const cut = truncateValue(`${"a".repeat(7987)}😀${"b".repeat(100)}`);
    expect(cut.length).toBeLessThanOrEqual(8000);
    expect(cut.endsWith("…[truncated]")).toBe(true);
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(truncateValue("short")).toBe("short");
  });
});

describe("captureEnvironment", () => {
  it("finds the nearest package.json and hashes its lockfile", async () => {
    const proj = path.join(tmp, "proj-npm");
    mkdirSync(path.join(proj, "a", "b"), { recursive: true });
    writeFileSync(path.join(proj, "package.json"), JSON.stringify({ name: "demo", version: "2.0.1" }));
    writeFileSync(path.join(proj, "package-lock.json"), '{"lockfileVersion":3}\n');
    writeFileSync(path.join(proj, "yarn.lock"), "# not first\n");
    const env = await captureEnvironment({ cwd: path.join(proj, "a", "b"), argv: ["node"] });
    expect(env.project).toEqual({
      name: "demo",
      version: "2.0.1",
      lockfile: "package-lock.json",
      lockfileSha256: sha256(path.join(proj, "package-lock.json")),
    });
    expect(env.entryScript).toBeUndefined();
    expect(env.argv).toBe("");
  });

  it("falls back to later lockfile names and tolerates a broken package.json", async () => {
    const proj = path.join(tmp, "proj-pnpm");
    mkdirSync(proj, { recursive: true });
    writeFileSync(path.join(proj, "package.json"), "{ not json");
    writeFileSync(path.join(proj, "pnpm-lock.yaml"), "lockfileVersion: '9.0'\n");
    const env = await captureEnvironment({ cwd: proj, argv: ["node", "x.js"] });
    expect(env.project).toEqual({
      lockfile: "pnpm-lock.yaml",
      lockfileSha256: sha256(path.join(proj, "pnpm-lock.yaml")),
    });
  });

  it("makes the entry script relative to the git root, else cwd, else takes its basename", async () => {
    const repo = makeRepo("entry");
    const inRepo = await captureEnvironment({ cwd: path.join(repo, "src"), argv: ["node", path.join(repo, "src", "train.js")] });
    expect(inRepo.entryScript).toBe("src/train.js");
    const plain = path.join(tmp, "plain");
    mkdirSync(path.join(plain, "jobs"), { recursive: true });
    const inCwd = await captureEnvironment({ cwd: plain, argv: ["node", "jobs/fit.mjs"] });
    expect(inCwd.entryScript).toBe("jobs/fit.mjs");
    const elsewhere = await captureEnvironment({ cwd: plain, argv: ["node", path.join(repo, "src", "train.js")] });
    expect(elsewhere.entryScript).toBe("train.js");
  });

  it("quotes and masks the user's arguments", async () => {
    const env = await captureEnvironment({
      cwd: tmp,
      argv: ["node", "t.js", "--name", "my run", "--password=pw1", "--note", "it's"],
    });
    expect(env.argv).toBe(`--name 'my run' --password=*** --note 'it'\\''s'`);
  });

  it("reports runtime facts and falls back to $USER when userInfo() throws", async () => {
    vi.spyOn(os, "userInfo").mockImplementation(() => {
      throw new Error("no passwd entry");
    });
    vi.stubEnv("USER", "alice");
    const env = await captureEnvironment({ cwd: tmp, argv: ["node"] });
    expect(env.user).toBe("alice");
    expect(env.nodeVersion).toBe(process.versions.node);
    expect(env.platform).toBe(process.platform);
    expect(env.arch).toBe(process.arch);
    expect(env.hostname).toBe(os.hostname());
  });
});

describe("captureContextTags", () => {
  it("sets MLflow system tags and mltrail tags inside a repository, without machine paths", async () => {
    const repo = makeRepo("tags");
    writeFileSync(path.join(repo, "package-lock.json"), "{}\n");
    git(repo, "remote", "add", "origin", "https://bot:ghp_SECRET@github.com/acme/churn.git");
    const tags = await captureContextTags({
      cwd: repo,
      argv: ["node", path.join(repo, "src", "train.js"), "--token", "SECRET2", "--lr=0.1"],
    });
    expect(tags).toMatchObject({
      "mlflow.source.name": "src/train.js",
      "mlflow.source.type": "LOCAL",
      "mlflow.source.git.commit": git(repo, "rev-parse", "HEAD"),
      "mlflow.source.git.branch": "main",
      "mlflow.source.git.repoURL": "https://github.com/acme/churn.git",
      "mlflow.source.git.dirty": "false", // the new package-lock.json is untracked
      "mltrail.node.version": process.versions.node,
      "mltrail.platform": `${process.platform}-${process.arch}`,
      "mltrail.argv": "--token *** --lr=0.1",
      "mltrail.project.name": "churn-model",
      "mltrail.project.version": "1.4.0",
      "mltrail.project.lockfile": "package-lock.json",
      "mltrail.project.lockfileSha256": sha256(path.join(repo, "package-lock.json")),
    });
    const all = JSON.stringify(tags);
    expect(all).not.toContain("SECRET");
    expect(all).not.toContain(tmp);
    expect(Object.keys(tags).some((k) => k.includes("root"))).toBe(false);
  });

  it("sets no git tags outside a repository", async () => {
    const outside = path.join(tmp, "outside-tags");
    mkdirSync(outside, { recursive: true });
    vi.stubEnv("GIT_CEILING_DIRECTORIES", tmp);
    const tags = await captureContextTags({ cwd: outside, argv: ["node", path.join(outside, "run.js")] });
    expect(Object.keys(tags).filter((k) => k.startsWith("mlflow.source.git."))).toEqual([]);
    expect(tags["mlflow.source.name"]).toBe("run.js");
    expect(tags["mlflow.source.type"]).toBe("LOCAL");
  });

  it("keeps every value within 8000 chars and drops empty ones", () => {
    const tags = buildContextTags(
      { commit: "a".repeat(40), dirty: false, root: "/x" },
      { argv: "x".repeat(20_000), nodeVersion: "20.0.0", platform: "linux", arch: "arm64", hostname: "" },
    );
    expect(tags["mltrail.argv"]?.length).toBe(8000);
    expect(tags["mltrail.platform"]).toBe("linux-arm64");
    expect(tags["mlflow.source.git.dirty"]).toBe("false");
    expect(tags).not.toHaveProperty("mltrail.host");
    expect(tags).not.toHaveProperty("mlflow.source.git.branch");
    expect(Object.values(tags).every((v) => v.length <= 8000)).toBe(true);
  });
});

describe("maskArgs: secrets carried in values", () => {
  it("masks URL query strings, bearer headers, well-known token prefixes and --key values", () => {
    const out = maskArgs([
      "--url=https://h/p?access_token=abc123",
      "--openai-key",
      "sk-abcdefghijklmnop",
      "--header",
      "Authorization: Bearer abc.def",
      "--key",
      "k1",
      "ghp_0123456789abcdefghij",
    ]);
    expect(out.join(" ")).not.toMatch(/abc123|sk-abcdefghijklmnop|abc\.def|k1|ghp_0123456789abcdefghij/);
    expect(out).toEqual(["--url=https://h/p?***", "--openai-key", "***", "--header", "Authorization: ***", "--key", "***", "***"]);
  });

  it("leaves ordinary arguments alone, including negated flags and token-like names", () => {
    const args = ["--no-auth", "train.csv", "--lr=0.1", "--max-tokens", "5", "--tokenizer", "bpe", "--epochs", "3"];
    expect(maskArgs(args)).toEqual(args);
  });
});

describe("maskArgs: every secret form ends up masked in the mltrail.argv tag", () => {
  const secretArgs: [string, string[], string[]][] = [
    ["--pass X", ["--pass", "S1"], ["--pass", "***"]],
    ["--db-pass X", ["--db-pass", "S2"], ["--db-pass", "***"]],
    ["--pw X", ["--pw", "S3"], ["--pw", "***"]],
    ["--passwd X", ["--passwd", "S4"], ["--passwd", "***"]],
    ["--passwd=X", ["--passwd=S5"], ["--passwd=***"]],
    ["--secret X", ["--secret", "S6"], ["--secret", "***"]],
    ["--api-key X", ["--api-key", "S7"], ["--api-key", "***"]],
    ["password=X", ["password=S8"], ["password=***"]],
    ["API_KEY=X", ["API_KEY=S9"], ["API_KEY=***"]],
    ["PASS=X", ["PASS=S10"], ["PASS=***"]],
    ["a JSON argument", ['{"password":"S11","lr":0.1}'], ['{"password":"***","lr":0.1}']],
    ["nested JSON", ['{"db":{"apiKey":"S12"},"epochs":3}'], ['{"db":{"apiKey":"***"},"epochs":3}']],
    ["a Python-style dict", ["{'token': 'S13', 'epochs': 3}"], ["{'token': '***', 'epochs': 3}"]],
    ["an env list", ["--env=API_KEY=S14,DEBUG=1"], ["--env=API_KEY=***,DEBUG=1"]],
    ["YAML-ish", ["db_password: S15"], ["db_password: ***"]],
    ["a password holding '/' in a URL", ["--db=http://bob:S16/x@host/db"], ["--db=http://***@host/db"]],
  ];
  it.each(secretArgs)("%s", async (_name, args, masked) => {
    expect(maskArgs(args)).toEqual(masked);
    const env = await captureEnvironment({ cwd: tmp, argv: ["node", "train.js", "--lr", "0.1", ...args] });
    expect(env.argv).not.toMatch(/S\d+/);
    expect(env.argv.startsWith("--lr 0.1 ")).toBe(true);
  });

  it("keeps flags that only look like secret words", () => {
    const args = ["--pass-through", "file", "--bypass", "x", "--passes", "3", "--lr=0.1", '{"epochs":3,"name":"a"}'];
    expect(maskArgs(args)).toEqual(args);
  });
});
