// `npm run bench:scale`: a fleet through the real `pulumi` CLI against the same work done by a
// direct driver, on sqlite + one `ironic` process and on PostgreSQL + 2 conductors.
//
// For each Ironic kind and each host count (BENCH_SCALE_SIZES, default 100,300,1000; or argv):
//   - the direct driver: every host at once (enrol + port → manage → inspect → provide → power
//     off), watching all of them with ONE batched node list every 250 ms (a fair floor: it does not
//     overload Ironic with per-node polling);
//   - `pulumi up` of a program with that many BareMetalHosts (fake:// BMCs, online: false: the
//     same work), then `pulumi preview`, a no-op `up` and `destroy`; with the engine's default
//     `--parallel` and with it raised (BENCH_SCALE_PARALLEL, default 64);
//   - what a user would pick instead: a shell loop per host of `baremetal node create / port
//     create / manage --wait / inspect --wait / provide --wait / power off` (+ `node show` until
//     off), every host's loop at once (BENCH_SCALE_CLI_PARALLEL caps how many run together;
//     BENCH_SCALE_CLI_MAX_HOSTS skips it above that many hosts);
//   - API calls per host from Ironic's own request log, the provider process's peak RSS.
// BENCH_SCALE_PARALLELS (default "default,64,hosts") picks the `--parallel` rows ("hosts": as many
// as the run has hosts, every host in flight at once); BENCH_SCALE_UP_ONLY=1
// skips preview, no-op up and destroy (big sizes on a busy machine).
// Fake delays: inspect 2 s, power 0 s. Writes docs/PERFORMANCE.md and docs/performance-scale.svg.
// BENCH_SCALE_REDFISH=1 (default; 0 skips it; BENCH_SCALE_FAKE=0 skips the fake-hardware rows) adds, on the sqlite Ironic, the same fleet on
// Redfish BMCs: sushy-tools' fake systems (local/redfish.ts, one emulator serving every host, plain
// HTTP), as Metal³ tests its own scale, with the direct driver and `pulumi up` in the same run.
// The work differs from the fake rows only where the driver forces it: no inspection (the fake
// systems driver serves no Processors resource to inspect out of band), no automated cleaning.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startIronic, stopIronic, RunningIronic } from "../local/ironic";
import { startIronicCluster, stopIronicCluster } from "../local/ironic-cluster";
import { removePostgresData } from "../local/postgres";
import { findFreePort } from "../local/proc";
import { redfishAddress, RunningRedfishLab, startRedfish, stopRedfish } from "../local/redfish";
import { ensureToolchain, pulumiEnv } from "../local/toolchain";
import { IronicClient } from "../provider/ironic";
import { enrolFakeNode, formatKinds, requestKinds, requestLines, requestSpan } from "./direct";

const REPO = path.resolve(__dirname, "..", "..");
const FAKE_DELAYS = { inspect: "2", power: "0", boot: "0", management: "0" };
const SIZES = (process.argv[2] ?? process.env.BENCH_SCALE_SIZES ?? "100,300,1000")
    .split(",")
    .map(Number)
    .filter((n) => n > 0);
const RAISED_PARALLEL = Number(process.env.BENCH_SCALE_PARALLEL ?? 64);
const PARALLELS = (process.env.BENCH_SCALE_PARALLELS ?? `default,${RAISED_PARALLEL},hosts`)
    .split(",")
    .map((p) => (p === "default" ? undefined : p === "hosts" ? ("hosts" as const) : Number(p)));
const CLI_PARALLEL = Number(process.env.BENCH_SCALE_CLI_PARALLEL ?? 0) || Infinity;
/** The CLI loops cost ~2 s of CPU per `baremetal` command (Python start-up): measured up to this many hosts. */
const CLI_MAX_HOSTS = Number(process.env.BENCH_SCALE_CLI_MAX_HOSTS ?? Infinity);
const UP_ONLY = process.env.BENCH_SCALE_UP_ONLY === "1";
/** BENCH_SCALE_SKIP_CHECKPOINTS=1: the engine runs with PULUMI_SKIP_CHECKPOINTS (rows marked so). */
const SKIP_CHECKPOINTS = process.env.BENCH_SCALE_SKIP_CHECKPOINTS === "1";
const SKIP_CHECKPOINTS_LABEL = ", no intermediate checkpoints";
const KINDS = (process.env.BENCH_SCALE_IRONIC ?? "sqlite,postgresql").split(",") as ("sqlite" | "postgresql")[];
const REDFISH = process.env.BENCH_SCALE_REDFISH !== "0";
/** BENCH_SCALE_FAKE=0: only the Redfish rows (with BENCH_SCALE_KEEP=1 the fake rows of earlier runs stay in the table). */
const FAKE = process.env.BENCH_SCALE_FAKE !== "0";
const REDFISH_LABEL = ", Redfish (sushy-tools)";
const TICK_MS = 250;
/** Where and how the figures were measured, for the honesty note (BENCH_SCALE_NOTE). */
const BENCH_NOTE = process.env.BENCH_SCALE_NOTE ?? "on this machine while other work (test runs, builds) may have been running, which slows every contender";
const say = (line: string) => process.stderr.write(`[bench:scale] ${line}\n`);

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
    const t0 = Date.now();
    const r = await fn();
    return [(Date.now() - t0) / 1000, r];
}

// ---------------------------------------------------------------- the direct driver
interface Watched {
    done: (n: BatchNode) => boolean;
    resolve: () => void;
    reject: (e: Error) => void;
}
interface BatchNode {
    uuid: string;
    name: string;
    provision_state: string;
    target_provision_state: string | null;
    power_state: string | null;
    target_power_state: string | null;
    last_error: string | null;
}

/** One `GET /v1/nodes?fields=...` per tick for every node any host is waiting on. */
class BatchWatcher {
    private waiting = new Map<string, Watched>();
    private timer: NodeJS.Timeout | undefined;
    constructor(private client: IronicClient) {}
    until(uuid: string, done: (n: BatchNode) => boolean): Promise<void> {
        return new Promise((resolve, reject) => {
            this.waiting.set(uuid, { done, resolve, reject });
            this.timer ??= setTimeout(() => this.tick(), TICK_MS);
        });
    }
    private async tick(): Promise<void> {
        try {
            const nodes = (await this.client.listNodes({
                fields: ["uuid", "name", "provision_state", "target_provision_state", "power_state", "target_power_state", "last_error"],
            })) as unknown as BatchNode[];
            for (const n of nodes) {
                const w = this.waiting.get(n.uuid);
                if (!w) continue;
                if (w.done(n)) {
                    this.waiting.delete(n.uuid);
                    w.resolve();
                } else if (!n.target_provision_state && !n.target_power_state && /failed|error/.test(n.provision_state)) {
                    this.waiting.delete(n.uuid);
                    w.reject(new Error(`${n.name}: ${n.provision_state}: ${n.last_error}`));
                }
            }
        } catch (e) {
            for (const w of this.waiting.values()) w.reject(e as Error);
            this.waiting.clear();
        }
        this.timer = this.waiting.size ? setTimeout(() => this.tick(), TICK_MS) : undefined;
    }
}

function mac(run: number, i: number): string {
    const h = (n: number) => n.toString(16).padStart(2, "0");
    return `52:54:5c:${h(run)}:${h(i >> 8)}:${h(i & 255)}`;
}

async function directHost(client: IronicClient, watch: BatchWatcher, name: string, address: string): Promise<string> {
    const node = await enrolFakeNode(client, name, address);
    const stable = (s: string) => (n: BatchNode) => n.provision_state === s && !n.target_provision_state;
    // Under load a request answered late may be repeated by the client after it took effect: a 400
    // saying the node is already where the verb takes it is success.
    const provision = (verb: "manage" | "provide", state: string) =>
        client.setProvisionState(node.uuid, verb).catch((e: { status?: number; faultstring?: string }) => {
            if (e.status !== 400 || !e.faultstring?.includes(`while it is in state "${state}"`)) throw e;
        });
    await provision("manage", "manageable");
    await watch.until(node.uuid, stable("manageable"));
    await client.setProvisionState(node.uuid, "inspect");
    await watch.until(node.uuid, stable("manageable"));
    await provision("provide", "available");
    await watch.until(node.uuid, stable("available"));
    await client.setPowerState(node.uuid, "power off");
    await watch.until(node.uuid, (n) => n.power_state === "power off" && !n.target_power_state);
    return node.uuid;
}

/** The Redfish row's host: a node on one emulated system, enrolled as the provider enrols it (no inspection, no automated cleaning). */
async function directRedfishHost(client: IronicClient, watch: BatchWatcher, name: string, address: string, lab: RunningRedfishLab, i: number): Promise<string> {
    const system = lab.systems[i];
    const node = await client.createNode({
        name,
        driver: "redfish",
        boot_interface: "ipxe",
        automated_clean: false,
        resource_class: "baremetal",
        driver_info: {
            redfish_address: `http://127.0.0.1:${lab.port}`,
            redfish_system_id: `/redfish/v1/Systems/${system.uuid}`,
            redfish_username: lab.username,
            redfish_password: lab.password,
        },
    } as never);
    await client.createPort({ node_uuid: node.uuid, address }).catch(async (e: { status?: number }) => {
        if (e.status !== 409 || !(await client.listPorts({ node: node.uuid })).some((p) => p.address === address)) throw e;
    });
    const stable = (st: string) => (n: BatchNode) => n.provision_state === st && !n.target_provision_state;
    const provision = (verb: "manage" | "provide", state: string) =>
        client.setProvisionState(node.uuid, verb).catch((e: { status?: number; faultstring?: string }) => {
            if (e.status !== 400 || !e.faultstring?.includes(`while it is in state "${state}"`)) throw e;
        });
    await provision("manage", "manageable");
    await watch.until(node.uuid, stable("manageable"));
    await provision("provide", "available");
    await watch.until(node.uuid, stable("available"));
    await client.setPowerState(node.uuid, "power off");
    await watch.until(node.uuid, (n) => n.power_state === "power off" && !n.target_power_state);
    return node.uuid;
}

async function inBatches<T>(items: T[], width: number, fn: (t: T) => Promise<unknown>): Promise<void> {
    let i = 0;
    await Promise.all(
        Array.from({ length: width }, async () => {
            while (i < items.length) await fn(items[i++]);
        }),
    );
}

// ---------------------------------------------------------------- the `baremetal` CLI contender
/**
 * What a user would write without pulumi-metal3: one shell loop per host of `baremetal` commands,
 * each state change with `--wait` (the client polls the node every 2 s); power off has no
 * `--wait`, so `node show` until Ironic reports it off. Every loop runs at once.
 */
const CLI_HOST_SCRIPT = `set -e
u=$(baremetal node create --driver fake-hardware --boot-interface fake --deploy-interface fake --inspect-interface fake \
    --management-interface fake --power-interface fake --resource-class baremetal --name "$1" -f value -c uuid)
baremetal port create "$2" --node "$u" -f value -c uuid >/dev/null
baremetal node manage "$u" --wait
baremetal node inspect "$u" --wait
baremetal node provide "$u" --wait
baremetal node power off "$u"
until [ "$(baremetal node show "$u" -f value -c power_state)" = "power off" ]; do sleep 2; done
echo "$u"
`;

function cliHost(url: string, name: string, address: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn("bash", ["-c", CLI_HOST_SCRIPT, "cli-host", name, address], { env: { ...process.env, OS_AUTH_TYPE: "none", OS_ENDPOINT: url } });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("error", reject);
        child.on("close", (code) =>
            code === 0 ? resolve(out.trim().split("\n").pop()!) : reject(new Error(`baremetal loop for ${name} failed (${code}): ${out.slice(-2000)}`)),
        );
    });
}

// ---------------------------------------------------------------- the real engine
const PROGRAM = `const pulumi = require("@pulumi/pulumi");
const { BareMetalHost } = require("pulumi-metal3/dist/sdk/baremetalhost");
const cfg = new pulumi.Config();
const n = Number(cfg.require("hosts"));
const tag = cfg.require("tag");
const run = Number(cfg.require("run"));
const h = (x) => x.toString(16).padStart(2, "0");
// Redfish row: one address per host (the emulator's systems) and the emulator's password as a secret.
const redfish = cfg.getObject("redfishAddresses");
const password = redfish ? cfg.requireSecret("redfishPassword") : undefined;
for (let i = 0; i < n; i++) {
  const bootMACAddress = \`52:54:5d:\${h(run)}:\${h(i >> 8)}:\${h(i & 255)}\`;
  if (redfish) new BareMetalHost(\`\${tag}-\${i}\`, { namespace: "bench", bmc: { address: redfish[i], username: "admin", password }, online: false, bootMACAddress, inspectionMode: "disabled", automatedCleaningMode: "disabled" });
  else new BareMetalHost(\`\${tag}-\${i}\`, { namespace: "bench", bmc: { address: \`fake://\${tag}-\${i}\` }, online: false, bootMACAddress });
}
`;

/** Peak RSS (MiB) of the dynamic provider's process (pulumi-resource-pulumi-nodejs → node) of the program in `dir`, sampled every 500 ms. */
/** Which part of a run a process is: the program's side by command line and working directory, Ironic's by its state directory. */
function component(cmd: string, cwd: string, dir: string | undefined, ironicStateDir: string): string | undefined {
    if (cmd.includes(ironicStateDir) && /ironic/.test(cmd)) return "ironic";
    if (cmd.startsWith("postgres")) return "postgresql";
    if (dir === undefined) return undefined;
    // The language host does not run in the project directory: the only one on the machine during a run is ours.
    if (cmd.includes("pulumi-language-nodejs")) return "language host";
    if (cwd !== dir) return undefined;
    if (cmd.includes("dynamic-provider")) return "provider";
    if (/^node\0/.test(cmd) || cmd.includes("/node\0")) return "program";
    if (/(^|\/)pulumi\0/.test(cmd)) return "engine";
    return "other";
}

const CLK_TCK = 100;

/**
 * Samples /proc every 500 ms while a contender runs: the dynamic provider's peak RSS, and CPU
 * seconds per component (engine, language host, program, provider, Ironic, PostgreSQL), each
 * process's last sample counted (a process's last half second before it exits is missed).
 */
function processSampler(dir: string | undefined, ironicStateDir: string): { stop: () => { rssMiB: number; cpu: Record<string, number> } } {
    let peak = 0;
    const ticks = new Map<number, { part: string; ticks: number; start: number }>();
    const sample = () => {
        for (const pid of fs
            .readdirSync("/proc")
            .filter((p) => /^\d+$/.test(p))
            .map(Number)) {
            try {
                const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
                const cwd = dir === undefined ? "" : fs.readlinkSync(`/proc/${pid}/cwd`);
                const part = component(cmd, cwd, dir, ironicStateDir);
                if (!part) continue;
                const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
                const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
                // fields 14, 15 (utime, stime) and 22 (starttime), counted from field 3 here
                const used = Number(f[11]) + Number(f[12]);
                const start = Number(f[19]);
                ticks.set(pid, { part, ticks: used, start });
                if (part === "provider") {
                    const rss = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
                    if (rss) peak = Math.max(peak, Number(rss[1]) / 1024);
                }
            } catch {
                /* gone */
            }
        }
    };
    sample();
    // Processes already running at the start (Ironic) count from there; new ones from zero.
    const baseline = new Map([...ticks].map(([pid, t]) => [pid, t.ticks]));
    const timer = setInterval(sample, 500);
    return {
        stop: () => {
            clearInterval(timer);
            sample();
            const cpu: Record<string, number> = {};
            for (const [pid, t] of ticks) cpu[t.part] = (cpu[t.part] ?? 0) + (t.ticks - (baseline.get(pid) ?? 0)) / CLK_TCK;
            return { rssMiB: peak, cpu };
        },
    };
}

const cpuText = (cpu: Record<string, number>, hosts: number) =>
    Object.entries(cpu)
        .sort((a, b) => b[1] - a[1])
        .map(([part, s]) => `${part} ${s.toFixed(1)} s (${((s / hosts) * 1000).toFixed(0)} ms/host)`)
        .join(", ");

function pulumiRun(dir: string, env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn("pulumi", [...args, "--non-interactive", "--stack", "bench"], { cwd: dir, env });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`pulumi ${args.join(" ")} failed (${code}):\n${out.slice(-4000)}`))));
    });
}

interface Row {
    ironic: string;
    hosts: number;
    parallel: string;
    direct: number;
    up: number;
    preview: number;
    noop: number;
    destroy: number;
    callsPerHostUp: number;
    callsPerHostDirect: number;
    rssMiB: number;
    cli?: number;
    callsPerHostCli?: number;
}

/** The tarball `npm pack` makes of this checkout, made once per benchmark run. */
let packed: string | undefined;
/**
 * Puts the package into the program's node_modules as users get it (`npm pack`, unpacked), not
 * through the repository's self-link: how Pulumi records the dynamic provider in every resource's
 * state depends on it (a module under node_modules is recorded as a `require` of it, a few hundred
 * bytes; anything else by value), and the engine's checkpoint work grows with that size. Its
 * dependencies resolve from the repository's node_modules above, one copy of @pulumi/pulumi.
 */
function installPacked(dir: string): void {
    if (packed === undefined) {
        const dest = fs.mkdtempSync(path.join(os.tmpdir(), "pm3-bench-pack-"));
        const r = spawnSync("npm", ["pack", "--silent", "--pack-destination", dest], { cwd: REPO, encoding: "utf8" });
        if (r.status !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
        packed = path.join(dest, r.stdout.trim().split("\n").pop()!);
    }
    const target = path.join(dir, "node_modules", "pulumi-metal3");
    fs.mkdirSync(target, { recursive: true });
    const r = spawnSync("tar", ["-xzf", packed, "-C", target, "--strip-components=1"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`unpacking ${packed} failed: ${r.stderr}`);
}

async function engineRun(
    ironic: RunningIronic,
    binDir: string,
    hosts: number,
    parallel: number | undefined,
    run: number,
    lab?: RunningRedfishLab,
): Promise<Omit<Row, "ironic" | "direct" | "callsPerHostDirect" | "cli" | "callsPerHostCli">> {
    const dir = fs.mkdtempSync(path.join(REPO, ".state", "bench-scale-"));
    try {
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: bench-scale\nruntime: nodejs\n");
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "bench-scale", main: "index.js" }));
        fs.writeFileSync(path.join(dir, "index.js"), PROGRAM);
        installPacked(dir);
        const env: NodeJS.ProcessEnv = { ...pulumiEnv(binDir, { backendDir: path.join(dir, ".backend") }), NO_COLOR: "1" };
        // The engine writes the whole checkpoint after every step: with N resources that is O(N²) work
        // in the engine. Pulumi's experimental switch writes only the last one (a killed run then
        // records nothing of what it created: see the README before using it).
        if (SKIP_CHECKPOINTS) Object.assign(env, { PULUMI_EXPERIMENTAL: "1", PULUMI_SKIP_CHECKPOINTS: "true" });
        delete env.IRONIC_URL;
        delete env.OS_ENDPOINT;
        const p = (args: string[]) => pulumiRun(dir, env, args);
        await p(["stack", "init"]);
        await p(["config", "set", "pulumi-metal3:ironicUrl", ironic.url]);
        await p(["config", "set", "hosts", String(hosts)]);
        await p(["config", "set", "tag", `s${run}`]);
        await p(["config", "set", "run", String(run)]);
        if (lab) {
            await p(["config", "set", "redfishAddresses", JSON.stringify(lab.systems.slice(0, hosts).map((sys) => redfishAddress(lab, sys)))]);
            await p(["config", "set", "--secret", "redfishPassword", lab.password]);
        }
        const par = parallel ? ["--parallel", String(parallel)] : [];
        const before = requestLines(ironic.logFile);
        const sampler = processSampler(dir, ironic.stateDir);
        const upStarted = Date.now();
        const [up] = await timed(() => p(["up", "--yes", "--skip-preview", ...par]));
        const span = requestSpan(ironic.logFile, before);
        if (span)
            say(
                `${hosts} hosts, --parallel ${parallel ?? "default"}: first Ironic call ${((span.first - upStarted) / 1000).toFixed(1)} s after \`pulumi up\` started, last ${(upStarted / 1000 + up - span.last / 1000).toFixed(1)} s before it ended`,
            );
        const { rssMiB, cpu } = sampler.stop();
        say(`${hosts} hosts, --parallel ${parallel ?? "default"}: CPU of \`pulumi up\` by part: ${cpuText(cpu, hosts)}`);
        const callsPerHostUp = (requestLines(ironic.logFile) - before) / hosts;
        say(
            `${hosts} hosts, --parallel ${parallel ?? "default"}: Ironic API calls of \`pulumi up\` by kind:\n${formatKinds(requestKinds(ironic.logFile, before), hosts)}`,
        );
        const [preview] = UP_ONLY ? [NaN] : await timed(() => p(["preview", ...par]));
        const [noop] = UP_ONLY ? [NaN] : await timed(() => p(["up", "--yes", "--skip-preview", ...par]));
        const [destroy] = await timed(() => p(["destroy", "--yes", "--skip-preview", ...par]));
        await p(["stack", "rm", "--yes"]).catch(() => undefined);
        return {
            hosts,
            parallel: `${parallel ? String(parallel) : "default"}${SKIP_CHECKPOINTS ? SKIP_CHECKPOINTS_LABEL : ""}`,
            up,
            preview,
            noop,
            destroy,
            callsPerHostUp,
            rssMiB,
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

// ---------------------------------------------------------------- output
function table(rows: Row[]): string {
    const head = [
        "Ironic",
        "hosts",
        "--parallel",
        "direct (s)",
        "pulumi up (s)",
        "ratio",
        "hosts/min (up)",
        "API calls/host (up)",
        "API calls/host (direct)",
        "preview (s)",
        "no-op up (s)",
        "destroy (s)",
        "provider RSS (MiB)",
        "baremetal --wait loops (s)",
        "API calls/host (baremetal)",
    ];
    const opt = (v: number | undefined, digits: number) => (v === undefined || Number.isNaN(v) ? "–" : v.toFixed(digits));
    const lines = rows.map((r) =>
        [
            r.ironic,
            r.hosts,
            r.parallel,
            r.direct.toFixed(1),
            r.up.toFixed(1),
            `${(r.up / r.direct).toFixed(2)}×`,
            ((r.hosts / r.up) * 60).toFixed(0),
            opt(r.callsPerHostUp, 1),
            opt(r.callsPerHostDirect, 1),
            opt(r.preview, 1),
            opt(r.noop, 1),
            opt(r.destroy, 1),
            r.rssMiB.toFixed(0),
            opt(r.cli, 1),
            opt(r.callsPerHostCli, 1),
        ].map(String),
    );
    return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...lines.map((l) => `| ${l.join(" | ")} |`)].join("\n");
}

/** hosts → wall time, one line per contender; plain SVG text. */
export function plotSvg(series: { name: string; points: [number, number][] }[]): string {
    const W = 1000,
        H = 420,
        L = 60,
        R = 420,
        T = 20,
        B = 50;
    const xs = series.flatMap((s) => s.points.map((p) => p[0]));
    const ys = series.flatMap((s) => s.points.map((p) => p[1]));
    const xMax = Math.max(1, ...xs),
        yMax = Math.max(1, ...ys) * 1.1;
    const X = (x: number) => L + (x / xMax) * (W - L - R);
    const Y = (y: number) => H - B - (y / yMax) * (H - T - B);
    const colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];
    const out = [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
        `<rect width="${W}" height="${H}" fill="white"/>`,
    ];
    out.push(
        `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
        `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
    );
    for (let k = 0; k <= 4; k++) {
        const yv = (yMax * k) / 4,
            xv = (xMax * k) / 4;
        out.push(
            `<text x="${L - 6}" y="${Y(yv) + 4}" text-anchor="end">${yv.toFixed(0)}</text>`,
            `<line x1="${L}" y1="${Y(yv)}" x2="${W - R}" y2="${Y(yv)}" stroke="#ddd"/>`,
        );
        out.push(`<text x="${X(xv)}" y="${H - B + 16}" text-anchor="middle">${xv.toFixed(0)}</text>`);
    }
    out.push(
        `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">hosts</text>`,
        `<text x="14" y="${(T + H - B) / 2}" transform="rotate(-90 14 ${(T + H - B) / 2})" text-anchor="middle">wall time (s)</text>`,
    );
    series.forEach((s, i) => {
        const c = colours[i % colours.length];
        const pts = [...s.points].sort((a, b) => a[0] - b[0]);
        out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(" ")}"/>`);
        for (const [x, y] of pts) out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${c}"/>`);
        out.push(
            `<line x1="${W - R + 10}" y1="${T + 10 + i * 18}" x2="${W - R + 30}" y2="${T + 10 + i * 18}" stroke="${c}" stroke-width="2"/>`,
            `<text x="${W - R + 36}" y="${T + 14 + i * 18}">${s.name.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</text>`,
        );
    });
    out.push("</svg>");
    return `${out.join("\n")}\n`;
}

const NOTES_MARKER = "<!-- Notes below this line are written by hand and kept when bench/scale.ts rewrites the figures above. -->";

function writePlot(rows: Row[]): void {
    const series = new Map<string, [number, number][]>();
    const add = (name: string, p: [number, number]) => series.set(name, [...(series.get(name) ?? []), p]);
    const directSeen = new Set<string>();
    for (const r of rows) {
        add(`pulumi up, ${r.ironic}, --parallel ${r.parallel.startsWith(`${r.hosts}`) ? `= hosts${r.parallel.slice(String(r.hosts).length)}` : r.parallel}`, [
            r.hosts,
            r.up,
        ]);
        if (!directSeen.has(`${r.ironic}/${r.hosts}`)) {
            directSeen.add(`${r.ironic}/${r.hosts}`);
            add(`direct driver, ${r.ironic}`, [r.hosts, r.direct]);
            if (r.cli !== undefined && !Number.isNaN(r.cli)) add(`baremetal --wait loops, ${r.ironic}`, [r.hosts, r.cli]);
        }
    }
    fs.writeFileSync(path.join(REPO, "docs", "performance-scale.svg"), plotSvg([...series].map(([name, points]) => ({ name, points }))));
}

/** The rows of the table in docs/PERFORMANCE.md (for --replot: a new plot layout without measuring again). */
function rowsFromDoc(): Row[] {
    const file = path.join(REPO, "docs", "PERFORMANCE.md");
    const whole = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    // Only the generated table: tables in the hand-written notes are earlier runs, kept as they are.
    const text = whole.includes(NOTES_MARKER) ? whole.slice(0, whole.indexOf(NOTES_MARKER)) : whole;
    return text
        .split("\n")
        .filter((l) => /^\| (sqlite|postgresql)/.test(l))
        .map((l) =>
            l
                .split("|")
                .slice(1, -1)
                .map((c) => c.trim()),
        )
        .map((c) => ({
            ironic: c[0],
            hosts: Number(c[1]),
            parallel: c[2],
            direct: Number(c[3]),
            up: Number(c[4]),
            callsPerHostUp: Number(c[7]),
            callsPerHostDirect: Number(c[8]),
            preview: Number(c[9]),
            noop: Number(c[10]),
            destroy: Number(c[11]),
            rssMiB: Number(c[12]),
            cli: c[13] === undefined ? undefined : Number(c[13]),
            callsPerHostCli: c[14] === undefined ? undefined : Number(c[14]),
        }));
}

function writeDoc(rows: Row[], started: Date, elapsedS: number): void {
    writePlot(rows);
    const load = os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(", ");
    const doc = `# Performance at scale

Generated by \`npm run bench:scale\` (bench/scale.ts) on ${started.toISOString()} in ${(elapsedS / 60).toFixed(1)} min.
Machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; load average at the end ${load}.

**Honesty note.** ${process.env.BENCH_SCALE_KEEP === "1" ? `This run measured ${SIZES.join(", ")} hosts on ${[...(FAKE ? KINDS : []), ...(REDFISH ? ["sqlite with Redfish BMCs"] : [])].join(" and ")}; the table keeps the other rows from earlier runs of the same script (\`BENCH_SCALE_KEEP=1\`), each run` : `The sizes below (${SIZES.join(", ")} hosts) are the ones measured in this run,`}
${BENCH_NOTE}. Absolute times vary from run to run (one Ironic process on few cores); the ratios
between contenders measured in the same run, against the same Ironic, are the meaningful part.

Work per host: enrol (node + port) → manage → inspect (fake, 2 s) → provide (automated cleaning,
fake) → power off (fake, 0 s). Contenders, in the same run against the same Ironic:

- **direct driver**: every host at once (over at most 64 connections), waiting on all of them with ONE batched
  \`GET /v1/nodes?fields=...\` every ${TICK_MS} ms (a fair floor, not one that overloads Ironic);
- **baremetal --wait loops**: what a user would pick instead: per host, a shell loop of
  \`baremetal node create\`, \`port create\`, \`node manage --wait\`, \`inspect --wait\`,
  \`provide --wait\` (python-ironicclient polls every 2 s), \`power off\` then \`node show\` until
  off; every host's loop at once${CLI_PARALLEL === Infinity ? "" : ` (at most ${CLI_PARALLEL} together)`};
- **pulumi up**: the real \`pulumi\` CLI (file backend) with that many \`BareMetalHost\`s
  (fake:// BMCs, \`online: false\`), with the engine's default \`--parallel\` and with
  \`--parallel ${RAISED_PARALLEL}\` and with \`--parallel\` as large as the number of hosts (every host in flight at once); then \`pulumi preview\`, a no-op \`up\` and \`destroy\` of the same stack. The program
  has the package in its node_modules as \`npm pack\` ships it.

Ironic: **sqlite** = one \`ironic\` process (API + conductor) on sqlite; **postgresql** =
\`pulumi-metal3 ironic start --database postgresql --conductors 2\` (PostgreSQL, ironic-api, two
ironic-conductor processes). API calls are counted from Ironic's own request log. Provider RSS is
the peak resident memory of the dynamic provider's Node process during \`up\`.

${table(rows)}

![hosts vs wall time](performance-scale.svg)

Ratio = pulumi up / direct driver for the same hosts on the same Ironic in the same run.

Rows marked **Redfish (sushy-tools)**: the same fleet on Redfish BMCs instead of fake-hardware,
one sushy-tools 2.2.0 emulator (fake systems driver, plain HTTP, basic auth) serving every host,
as Metal³ tests its own scale; direct driver and \`pulumi up\` in the same run against the same
Ironic. Work per host: enrol (redfish driver + port) → manage (Ironic reads power and boot state
from the BMC) → provide (no automated cleaning) → power off; no inspection (the emulator's fake
systems serve no Processors resource, which Ironic's Redfish inspection needs). The emulator applies each power
**change** 1–11 s after it is asked, at random (sushy-tools' fakedriver.py; no setting shortens
it); its systems start powered off, so this work asks for no change and pays none of that delay.
`;
    // Hand-written analysis below the marker survives a re-run.
    const docFile = path.join(REPO, "docs", "PERFORMANCE.md");
    const previous = fs.existsSync(docFile) ? fs.readFileSync(docFile, "utf8") : "";
    const notes = previous.includes(NOTES_MARKER) ? previous.slice(previous.indexOf(NOTES_MARKER)) : `${NOTES_MARKER}\n`;
    fs.writeFileSync(docFile, `${doc}\n${notes}`);
}

// ---------------------------------------------------------------- main
async function withIronic<T>(kind: "sqlite" | "postgresql", fn: (ironic: RunningIronic) => Promise<T>): Promise<T> {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `pm3-bench-scale-${kind}-`));
    const port = await findFreePort();
    const log = (l: string) => say(`${kind}: ${l}`);
    // API noauth: the figures of docs/PERFORMANCE.md were measured so, and the stacks get the URL alone
    // (the cluster's JSON-RPC between API and conductors is authenticated regardless).
    const ironic =
        kind === "sqlite"
            ? await startIronic({ stateDir, port, noauth: true, fakeDelays: FAKE_DELAYS, log })
            : await startIronicCluster({ conductors: 2, stateDir, port, noauth: true, fakeDelays: FAKE_DELAYS, log });
    try {
        return await fn(ironic);
    } finally {
        if (kind === "sqlite") await stopIronic({ stateDir, log });
        else {
            await stopIronicCluster({ stateDir, log });
            removePostgresData(stateDir);
        }
        fs.rmSync(stateDir, { recursive: true, force: true });
    }
}

async function main(): Promise<void> {
    if (process.argv[2] === "--replot") return writePlot(rowsFromDoc());
    const started = new Date();
    // BENCH_SCALE_PULUMI_BIN: a directory with `pulumi` and its Node.js plugin launchers, when the
    // toolchain is still being built elsewhere (it also builds the Kubernetes plugin, unused here).
    const tc = process.env.BENCH_SCALE_PULUMI_BIN ? { binDir: process.env.BENCH_SCALE_PULUMI_BIN } : await ensureToolchain({ skipKubeApiserver: true });
    fs.mkdirSync(path.join(REPO, ".state"), { recursive: true });
    const rows: Row[] = [];
    // BENCH_SCALE_KEEP=1: the table keeps the rows of earlier runs that this run does not measure
    // again (another Ironic kind, other sizes or --parallel values), so runs can be split.
    const kept = process.env.BENCH_SCALE_KEEP === "1" ? rowsFromDoc() : [];
    const key = (r: Row) => `${r.ironic}/${r.hosts}/${r.parallel}`;
    const all = () => {
        const fresh = new Set(rows.map(key));
        const order = (p: string) => (p.startsWith("default") ? -1 : parseInt(p, 10)) + (p.includes(SKIP_CHECKPOINTS_LABEL) ? 0.5 : 0);
        return [...kept.filter((r) => !fresh.has(key(r))), ...rows].sort(
            (a, b) => a.ironic.localeCompare(b.ironic) || a.hosts - b.hosts || order(a.parallel) - order(b.parallel),
        );
    };
    let run = 0;
    for (const kind of FAKE ? KINDS : []) {
        await withIronic(kind, async (ironic) => {
            // A long request timeout: at hundreds of hosts on a loaded machine one Ironic process may
            // take longer than the default to answer, and a timed-out "inspect" cannot be repeated blindly.
            // At most 64 connections (as many as `--parallel 64` gives the provider): every host at once
            // over unbounded connections overflows Ironic's accept queue at 300 hosts (connect timeouts).
            const client = await IronicClient.connect({ url: ironic.url, authType: "none", timeoutMs: 180_000, maxConnections: 64 });
            try {
                for (const hosts of SIZES) {
                    run++;
                    const watch = new BatchWatcher(client);
                    const before = requestLines(ironic.logFile);
                    const sampler = processSampler(undefined, ironic.stateDir);
                    const [direct, uuids] = await timed(() =>
                        Promise.all(Array.from({ length: hosts }, (_, i) => directHost(client, watch, `direct-${run}-${i}`, mac(run, i)))),
                    );
                    const callsPerHostDirect = (requestLines(ironic.logFile) - before) / hosts;
                    say(`${kind}, ${hosts} hosts: direct driver CPU: ${cpuText(sampler.stop().cpu, hosts)}`);
                    say(
                        `${kind}, ${hosts} hosts: direct driver ${direct.toFixed(1)} s, ${callsPerHostDirect.toFixed(1)} calls/host, by kind:\n${formatKinds(requestKinds(ironic.logFile, before), hosts)}`,
                    );
                    await inBatches(uuids, 16, (u) => client.deleteNode(u));
                    let cli: number | undefined;
                    let callsPerHostCli: number | undefined;
                    if (hosts <= CLI_MAX_HOSTS) {
                        const beforeCli = requestLines(ironic.logFile);
                        const cliUuids: string[] = [];
                        [cli] = await timed(() =>
                            inBatches(
                                Array.from({ length: hosts }, (_, i) => i),
                                Math.min(hosts, CLI_PARALLEL),
                                async (i) => void cliUuids.push(await cliHost(ironic.url, `cli-${run}-${i}`, mac(run + 128, i))),
                            ),
                        );
                        callsPerHostCli = (requestLines(ironic.logFile) - beforeCli) / hosts;
                        say(`${kind}, ${hosts} hosts: baremetal --wait loops ${cli.toFixed(1)} s, ${callsPerHostCli.toFixed(1)} calls/host`);
                        await inBatches(cliUuids, 16, (u) => client.deleteNode(u));
                    }
                    for (const wanted of PARALLELS) {
                        const parallel = wanted === "hosts" ? hosts : wanted;
                        run++;
                        const r = await engineRun(ironic, tc.binDir, hosts, parallel, run);
                        rows.push({
                            ironic: kind === "sqlite" ? "sqlite, 1 process" : "postgresql, 2 conductors",
                            direct,
                            callsPerHostDirect,
                            cli,
                            callsPerHostCli,
                            ...r,
                        });
                        // After every row: a run cut short still leaves the figures it measured.
                        writeDoc(all(), started, (Date.now() - started.getTime()) / 1000);
                        say(
                            `${kind}, ${hosts} hosts, --parallel ${r.parallel}: up ${r.up.toFixed(1)} s (${(r.up / direct).toFixed(2)}×), preview ${r.preview.toFixed(1)} s, no-op ${r.noop.toFixed(1)} s, destroy ${r.destroy.toFixed(1)} s, ${r.callsPerHostUp.toFixed(1)} calls/host, RSS ${r.rssMiB.toFixed(0)} MiB`,
                        );
                    }
                }
            } finally {
                await client.close();
            }
        });
    }
    if (REDFISH) {
        // The same fleet on Redfish BMCs: one sushy-tools emulator with as many systems as the largest size.
        const bmcStateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pm3-bench-scale-redfish-"));
        const lab = await startRedfish({ count: Math.max(...SIZES), stateDir: bmcStateDir, log: (l) => say(`redfish: ${l}`) });
        if (!lab) throw new Error("the Redfish emulator did not start");
        try {
            await withIronic("sqlite", async (ironic) => {
                const client = await IronicClient.connect({ url: ironic.url, authType: "none", timeoutMs: 180_000, maxConnections: 64 });
                try {
                    for (const hosts of SIZES) {
                        run++;
                        const watch = new BatchWatcher(client);
                        const before = requestLines(ironic.logFile);
                        const [direct, uuids] = await timed(() =>
                            Promise.all(Array.from({ length: hosts }, (_, i) => directRedfishHost(client, watch, `direct-${run}-${i}`, mac(run, i), lab, i))),
                        );
                        const callsPerHostDirect = (requestLines(ironic.logFile) - before) / hosts;
                        say(
                            `redfish, ${hosts} hosts: direct driver ${direct.toFixed(1)} s, ${callsPerHostDirect.toFixed(1)} calls/host, by kind:\n${formatKinds(requestKinds(ironic.logFile, before), hosts)}`,
                        );
                        await inBatches(uuids, 16, (u) => client.deleteNode(u));
                        for (const wanted of PARALLELS) {
                            const parallel = wanted === "hosts" ? hosts : wanted;
                            run++;
                            const r = await engineRun(ironic, tc.binDir, hosts, parallel, run, lab);
                            rows.push({ ironic: `sqlite, 1 process${REDFISH_LABEL}`, direct, callsPerHostDirect, ...r });
                            writeDoc(all(), started, (Date.now() - started.getTime()) / 1000);
                            say(
                                `redfish, ${hosts} hosts, --parallel ${r.parallel}: up ${r.up.toFixed(1)} s (${(r.up / direct).toFixed(2)}×), preview ${r.preview.toFixed(1)} s, no-op ${r.noop.toFixed(1)} s, destroy ${r.destroy.toFixed(1)} s, ${r.callsPerHostUp.toFixed(1)} calls/host`,
                            );
                        }
                    }
                } finally {
                    await client.close();
                }
            });
        } finally {
            await stopRedfish({ stateDir: bmcStateDir, log: (l) => say(`redfish: ${l}`) });
            fs.rmSync(bmcStateDir, { recursive: true, force: true });
        }
    }
    console.log(table(rows));
    writeDoc(all(), started, (Date.now() - started.getTime()) / 1000);
    say("wrote docs/PERFORMANCE.md and docs/performance-scale.svg");
}

if (require.main === module) {
    main().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
