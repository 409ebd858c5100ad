/** The report's formats: its own module so `certfleet --help` can list them without loading a renderer. */
export const reportFormats = ['summary', 'json', 'markdown', 'html', 'csv', 'sarif', 'prometheus'] as const;
export type ReportFormat = (typeof reportFormats)[number];
