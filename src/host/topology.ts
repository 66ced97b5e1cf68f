import { readFileSync } from "node:fs";

export type Layer = "simulator" | "access" | "engine" | "manager" | "client";

export interface ProcessSpec {
  name: string;
  entry: string;
  /** Absent for a job that serves nothing (the reconciler). */
  port?: number;
  layer: Layer;
  /** Provider instances this simulator stands in for: they are pointed at it. */
  serves?: string[];
  env?: Record<string, string>;
}

export interface Topology {
  dynamodb: { port: number; path: string; table: string; region: string };
  /** Settings every process gets (local, non-secret demo values only). */
  env: Record<string, string>;
  processes: ProcessSpec[];
}

/** Start order: a layer starts once every layer it may call is up. */
export const startOrder: Layer[] = ["simulator", "access", "engine", "manager", "client"];

interface TopologyFile {
  dynamodb: Topology["dynamodb"];
  env?: Record<string, string>;
  simulators: Array<Omit<ProcessSpec, "layer">>;
  services: ProcessSpec[];
}

export function loadTopology(file: string): Topology {
  let raw: TopologyFile;
  try {
    raw = JSON.parse(readFileSync(file, "utf8")) as TopologyFile;
  } catch (error) {
    throw new Error(`cannot read topology ${file}: ${(error as Error).message}`);
  }
  const processes = [...raw.simulators.map((s) => ({ ...s, layer: "simulator" as const })), ...raw.services];
  const names = new Set<string>();
  for (const p of processes) {
    if (!startOrder.includes(p.layer)) throw new Error(`${file}: ${p.name} has unknown layer ${p.layer}`);
    if (names.has(p.name)) throw new Error(`${file}: ${p.name} appears twice`);
    names.add(p.name);
  }
  return { dynamodb: raw.dynamodb, env: raw.env ?? {}, processes };
}
