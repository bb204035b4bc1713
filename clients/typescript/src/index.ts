// extrace-client: record execution traces into `extrace serve` (or a JSON Lines
// file for `extrace ingest`), the contract's types, and a typed query client.
export * from "./types.js";
export * from "./recorder.js";
export * from "./query.js";
export * from "./atomiton.js";
