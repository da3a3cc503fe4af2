/**
 * `tracker.searchRunsPage` on the local store: the pages, followed by their tokens, are
 * exactly `searchRuns`' answer, with the view types; bad tokens and sizes are typed errors.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import type { RunRecord, SearchRunsPageRequest } from "../../src/model/types.js";
import { Tracker } from "../../src/tracker.js";

let tmp: string;
let tracker: Tracker;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-pages-"));
  tracker = new Tracker({ trackingUri: tmp, experiment: "pages", captureContext: false, handleExit: false });
});
afterEach(async () => {
  await tracker.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function allPages(request: SearchRunsPageRequest): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  let page = await tracker.searchRunsPage(request);
  for (;;) {
    out.push(...page.runs);
    if (page.nextPageToken === undefined) return out;
    expect(page.runs).toHaveLength(request.maxResults ?? 1000);
    page = await tracker.searchRunsPage({ ...request, pageToken: page.nextPageToken });
  }
}

it("pages followed by their tokens give searchRuns' answer, in its order", async () => {
  for (let i = 0; i < 10; i++) {
    const run = await tracker.startRun({ params: { i, even: i % 2 === 0 } });
    run.logMetric("acc", (i * 7) % 10);
    await run.end();
    if (i % 4 === 0) await tracker.deleteRun(run.id);
  }
  const cases: SearchRunsPageRequest[] = [
    { maxResults: 3 },
    { filter: "params.even = 'true'", orderBy: ["metrics.acc DESC"], maxResults: 2 },
    { orderBy: ["params.i"], maxResults: 4, runViewType: "ALL" },
    { maxResults: 1, runViewType: "DELETED_ONLY" },
    { maxResults: 10 },
  ];
  for (const c of cases) {
    const { maxResults: _m, ...search } = c;
    expect(await allPages(c), JSON.stringify(c)).toEqual(await tracker.searchRuns(search));
  }
  const last = await tracker.searchRunsPage({ maxResults: 10 });
  expect(last.nextPageToken).toBeUndefined();
});

it("rejects a token it did not give and a bad page size, naming the field", async () => {
  await expect(tracker.searchRunsPage({ pageToken: "not-a-token" })).rejects.toMatchObject({ name: ValidationError.name, field: "pageToken" });
  await expect(tracker.searchRunsPage({ maxResults: 0 })).rejects.toBeInstanceOf(ValidationError);
  await expect(tracker.searchRunsPage({ pageToken: 5 as unknown as string })).rejects.toBeInstanceOf(ValidationError);
});
