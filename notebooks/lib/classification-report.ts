// Per-class precision, recall and F1 from a confusion matrix (rows: actual, columns: predicted), and
// a plain-text table of them, for the notebook's evaluation section.

export interface ClassScores {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Images whose actual class this is. */
  support: number;
}

export interface ClassificationReport {
  classes: ClassScores[];
  accuracy: number;
  /** Unweighted mean over classes. */
  macro: { precision: number; recall: number; f1: number };
}

export function classificationReport(confusion: number[][], labels: readonly string[]): ClassificationReport {
  const n = confusion.length;
  const columnTotals = Array.from({ length: n }, (_, c) =>
    confusion.reduce((sum, row) => sum + (row[c] ?? 0), 0),
  );
  const classes = confusion.map((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    const hits = row[c] ?? 0;
    const precision = columnTotals[c]! > 0 ? hits / columnTotals[c]! : 0;
    const recall = support > 0 ? hits / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label: labels[c] ?? String(c), precision, recall, f1, support };
  });
  const total = classes.reduce((sum, s) => sum + s.support, 0);
  const correct = confusion.reduce((sum, row, c) => sum + (row[c] ?? 0), 0);
  const mean = (key: 'precision' | 'recall' | 'f1') => classes.reduce((sum, s) => sum + s[key], 0) / (n || 1);
  return {
    classes,
    accuracy: total > 0 ? correct / total : 0,
    macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') },
  };
}

export function formatClassificationReport(report: ClassificationReport): string {
  const f = (value: number) => value.toFixed(3).padStart(9);
  const lines = [
    `${'class'.padEnd(12)}${'precision'.padStart(9)}${'recall'.padStart(9)}${'f1'.padStart(9)}${'support'.padStart(9)}`,
  ];
  for (const s of report.classes) {
    lines.push(
      `${s.label.padEnd(12)}${f(s.precision)}${f(s.recall)}${f(s.f1)}${String(s.support).padStart(9)}`,
    );
  }
  const support = report.classes.reduce((sum, s) => sum + s.support, 0);
  lines.push(
    '',
    `${'macro avg'.padEnd(12)}${f(report.macro.precision)}${f(report.macro.recall)}${f(report.macro.f1)}${String(support).padStart(9)}`,
    `${'accuracy'.padEnd(12)}${''.padStart(18)}${f(report.accuracy)}${String(support).padStart(9)}`,
  );
  return lines.join('\n');
}
