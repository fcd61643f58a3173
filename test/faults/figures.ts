/**
 * The figures a fault test reports (sets sent, rows stored, duplicates, ...), printed as one JSON
 * line so a run's output carries them for the README and the issue's closing note.
 */
export function reportFigures(test: string, figures: Record<string, number>): void {
  console.log(JSON.stringify({ fault_figures: test, ...figures }));
}
