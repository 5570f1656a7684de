// `node dist/bench/profile-summary.js DIR`: where the CPU time of a profiled `pulumi up` went, from
// the `.cpuprofile` files `node --cpu-prof` wrote into DIR (bench:scale with BENCH_SCALE_CPU_PROF=DIR
// profiles the language host's program and the dynamic provider). Prints, per Node process, its
// sampled time by area (markdown) and its ten hottest functions by self time.
import * as fs from "fs";
import * as path from "path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The area a frame belongs to, by where its code lives. Pure. */
export function areaOf(frame: ProfileNode["callFrame"]): string {
  const { functionName: fn, url } = frame;
  if (fn === "(garbage collector)") return "garbage collection";
  if (fn === "(idle)") return "idle (waiting: Ironic, the engine)";
  if (fn === "(program)") return "V8/native (program)";
  if (/require-from-string/.test(url) || /runtime\/closure/.test(url)) return "closure (de)serialisation";
  if (/@grpc|google-protobuf|protobufjs/.test(url)) return "gRPC + protobuf";
  if (/@pulumi\/pulumi/.test(url)) return "@pulumi/pulumi runtime";
  if (/\/dist\/(provider|sdk)\//.test(url)) return "pulumi-metal3 (provider, sdk)";
  if (/node_modules\/undici/.test(url)) return "HTTP client (undici)";
  if (/node_modules\/zod/.test(url)) return "zod (input schemas)";
  if (/node_modules\//.test(url)) return "other libraries";
  if (url.startsWith("node:") || url === "") return "Node.js core (modules, streams, timers)";
  return "program / other";
}

function summarise(file: string): string {
  const p = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const busy = [...self].filter(([id]) => byId.get(id)!.callFrame.functionName !== "(idle)").reduce((a, [, t]) => a + t, 0);
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, t] of self) {
    const f = byId.get(id)!.callFrame;
    areas.set(areaOf(f), (areas.get(areaOf(f)) ?? 0) + t);
    const key = `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/dist\//, "dist/")}:${f.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + t);
  }
  const urls = p.nodes.map((n) => n.callFrame.url).join("\n");
  const role = /cmd\/dynamic-provider/.test(urls) ? "dynamic provider" : /cmd\/run|runtime\/stack/.test(urls) ? "language host's program" : "other node process";
  const ms = (us: number) => (us / 1000).toFixed(0);
  const pct = (us: number) => `${((100 * us) / total).toFixed(1)}%`;
  const lines = [
    `### ${role} (${path.basename(file)}): ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s on CPU`,
    "",
    "| area | ms | share |",
    "|---|---|---|",
    ...[...areas].sort((a, b) => b[1] - a[1]).map(([a, t]) => `| ${a} | ${ms(t)} | ${pct(t)} |`),
    "",
    "Hottest functions (self time):",
    "",
    ...[...fns]
      .filter(([k]) => !/^\((idle|program|garbage collector)\)/.test(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([k, t]) => `- ${ms(t)} ms \`${k}\``),
    "",
  ];
  return lines.join("\n");
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) throw new Error("usage: node dist/bench/profile-summary.js DIR (with .cpuprofile files)");
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).map((f) => path.join(dir, f));
  // The biggest profiles are the program and the provider; the launcher's `node -e` is tiny.
  files.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size);
  for (const f of files.slice(0, Number(process.env.PROFILE_TOP ?? 3))) process.stdout.write(`${summarise(f)}\n`);
}
