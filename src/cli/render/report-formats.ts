/** The report's formats: its own module so `certfleet --help` can list them without loading a renderer. */
export const reportFormats = ['summary', 'json', 'markdown', 'html', 'csv', 'sarif', 'prometheus'] as const;
export type ReportFormat = (typeof reportFormats)[number];

/** The file extension each format is written with when --output names several files with {ext}. */
export const reportExtensions: Record<ReportFormat, string> = { summary: 'txt', json: 'json', markdown: 'md', html: 'html', csv: 'csv', sarif: 'sarif', prometheus: 'prom' };
