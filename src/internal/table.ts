/**
 * Aligned plain-text tables: the one table style of the CLI and of `formatAnalysis`.
 */
import { stripVTControlCharacters } from "node:util";

/** How a column's cells are aligned. */
export type Align = "left" | "right";

/** The width a cell takes on a terminal: colour codes take none. */
function width(cell: string): number {
  return stripVTControlCharacters(cell).length;
}

/**
 * Renders rows under a header with columns padded to their widest cell (colour codes do not
 * count), a dashed rule under the header, two spaces between columns. Cells may hold colour
 * codes; newlines in a cell are shown as `⏎`.
 * @param align per column; @default every column left-aligned
 * @example `table(["metric", "value"], [["loss", "0.3"]], ["left", "right"])`
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const clean = rows.map((r) => header.map((_, i) => (r[i] ?? "").replace(/\r?\n/g, "⏎")));
  const widths = header.map((h, i) => Math.max(width(h), ...clean.map((r) => width(r[i] ?? ""))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => {
        const pad = " ".repeat((widths[i] ?? 0) - width(c));
        if (align[i] === "right") return pad + c;
        return i === cells.length - 1 ? c : c + pad;
      })
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...clean.map(line)].join("\n");
}

/** A timestamp as `YYYY-MM-DD HH:MM:SS` (UTC), or `-`. */
export function iso(ms: number | undefined): string {
  return ms === undefined ? "-" : new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}
