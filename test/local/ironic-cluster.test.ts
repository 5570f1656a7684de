// `pulumi-metal3 ironic start --database postgresql --conductors 2` against the real thing:
// PostgreSQL, ironic-api and two ironic-conductor processes. Hosts go through the provider's own
// lifecycle (converge) and Machine claims race on them; a conductor SIGKILLed in the middle of a
// deploy is taken over by the other one (Ironic's own take-over) and the next converge reaches
// active on the same node. Authenticated as `ironic start` is by default: the API with the
// generated credentials it prints, JSON-RPC between the API and the conductors with an internal
// user (a direct call without it is refused).

import { execFile } from "child_process";
import { expect } from "chai";
import { request } from "undici";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { clusterFiles, ironicClusterStatus, readClusterRecord } from "../../local/ironic-cluster";
import { httpGet, isProcessAlive, readPidFile, sleep, waitForHttp } from "../../local/proc";
import { basicAuthHeader, readGeneratedCredentials } from "../../local/ironic";
import { postgresPid, removePostgresData } from "../../local/postgres";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";

/** The ownerKey of the stack the cluster's hosts are enrolled by. */
const CLUSTER_OWNER_KEY = "c".repeat(64);
import { converge, HostError } from "../../provider/host/converge";
import { hostSpecFromInputs, phaseTimeouts, PlainHostInputs } from "../../provider/host/desired";
import { claimHost, NoHostAvailableError } from "../../provider/claim/allocation";

const REPO_ROOT = path.resolve(__dirname, "../../..");
const CLI = path.join(REPO_ROOT, "bin", "pulumi-metal3");
const NS = "cluster";
// Long enough to kill a conductor while the node is `deploying`; short heart-beat time-out so the take-over comes in seconds.
const FAKE_DELAYS = "deploy=12,inspect=1,power=0,boot=0";
const HEARTBEAT_TIMEOUT_S = 6;

interface CliResult {
    code: number;
    stdout: string;
    stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
    return new Promise((resolve) => {
        execFile(command, args, { env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
            const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
            resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
        });
    });
}
const cli = (...args: string[]) => run(process.execPath, [CLI, ...args]);

/** The test run's environment without its own Ironic settings (hooks.ts), plus `printed`: what a user's shell has after exporting start's output. */
function envWith(printed: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of ["OS_ENDPOINT", "IRONIC_URL", "OS_CLOUD", "OS_AUTH_TYPE", "OS_USERNAME", "OS_PASSWORD", "OS_CLIENT_CONFIG_FILE"]) delete env[k];
    return { ...env, ...printed };
}

/** `baremetal` with the variables `ironic start` printed. */
function baremetal(printed: Record<string, string>, args: string[]): Promise<CliResult> {
    return run("baremetal", ["--os-baremetal-api-version", "1.82", ...args], envWith(printed));
}

/** A JSON-RPC call straight to a conductor (as the API makes them), with `authorization` or none. */
async function jsonRpcCall(host: string, port: number, authorization?: string): Promise<{ status: number; body: string }> {
    const res = await request(`http://${host}:${port}/`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ jsonrpc: "2.0", method: "no_such_method", params: { context: {} }, id: "probe" }),
    });
    return { status: res.statusCode, body: await res.body.text() };
}

function mac(i: number): string {
    const h = (n: number) => n.toString(16).padStart(2, "0");
    return `52:54:c1:${h(process.pid % 256)}:${h(Date.now() % 256)}:${h(i)}`;
}

describe("distributed Ironic: PostgreSQL + ironic-api + 2 conductors", function () {
    this.timeout(240_000);
    let stateDir: string;
    let url: string;
    let printed: Record<string, string>;
    let client: IronicClient;
    const hostNames: string[] = [];
    const log: string[] = [];

    function hostInputs(name: string, i: number, extra: Partial<PlainHostInputs> = {}): PlainHostInputs {
        // Enrolled as a BareMetalHost of a stack with an ownerKey: the keyed owner record the claims verify.
        return {
            name,
            namespace: NS,
            bmc: { address: `fake://${name}` },
            bootMACAddress: mac(i),
            online: false,
            labels: { pool: "cluster-test" },
            owner: { stack: "cluster/test", resource: name },
            ...extra,
        } as PlainHostInputs;
    }
    async function convergeHost(inputs: PlainHostInputs, uuid?: string) {
        const spec = hostSpecFromInputs(inputs, { apiVersion: client.apiVersion, digestKey: "test-digest-key", ownerKey: CLUSTER_OWNER_KEY });
        return converge(client, spec, uuid, {
            label: `${NS}~${inputs.name}`,
            timeouts: phaseTimeouts({ register: "3m", inspect: "3m", clean: "3m", deploy: "3m", deprovision: "3m", power: "3m", delete: "3m" }),
            log: (m) => log.push(m),
        });
    }

    before(async function () {
        this.timeout(300_000);
        // mkdtemp makes it 0700: as root, the postgres user cannot reach it and the cluster data goes to the /var/lib/postgresql fallback.
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pm3-cluster-"));
        const started = await cli(
            "ironic",
            "start",
            "--database",
            "postgresql",
            "--conductors",
            "2",
            "--state-dir",
            stateDir,
            "--heartbeat-timeout",
            String(HEARTBEAT_TIMEOUT_S),
            "--fake-delays",
            FAKE_DELAYS,
        );
        expect(started.code, `ironic start failed:\n${started.stderr}`).to.equal(0);
        expect(started.stdout).to.match(/^IRONIC_URL=http:\/\/127\.0\.0\.1:\d+\nOS_CLIENT_CONFIG_FILE=\S+\/clouds\.yaml\nOS_CLOUD=pulumi-metal3-local\n$/);
        printed = Object.fromEntries(
            started.stdout
                .trim()
                .split("\n")
                .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
        );
        url = printed.IRONIC_URL;
        // The provider's own credential path: the printed variables in the environment, nothing else.
        client = await IronicClient.connect({}, envWith(printed));
    });

    after(async function () {
        this.timeout(120_000);
        await client?.close();
        if (!stateDir) return;
        const stopped = await cli("ironic", "stop", "--state-dir", stateDir);
        if (stopped.code !== 0) process.stderr.write(`ironic stop failed: ${stopped.stderr}\n`);
        removePostgresData(stateDir);
        fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it("`baremetal conductor list` shows both conductors alive; PostgreSQL listens on no TCP port", async () => {
        const listed = await baremetal(printed, ["conductor", "list", "-f", "json"]);
        expect(listed.code, listed.stderr).to.equal(0);
        // python-ironicclient 6.x prints lower-case keys in JSON (`hostname`, not `Hostname`).
        const conductors = JSON.parse(listed.stdout) as { hostname: string; alive: boolean }[];
        expect(conductors.map((c) => c.hostname).sort()).to.deep.equal(["127.0.0.2", "127.0.0.3"]);
        expect(conductors.every((c) => c.alive)).to.equal(true);
        // Ironic's database is reached over the unix socket only.
        const conf = fs.readFileSync(clusterFiles(stateDir).config, "utf8");
        expect(conf).to.match(/connection = postgresql\+psycopg2:\/\/ironic@\/ironic\?host=\//);
        expect(conf).to.include("rpc_transport = json-rpc");
        const pg = postgresPid(stateDir);
        expect(pg).to.be.a("number");
        const tcp = fs.readFileSync("/proc/net/tcp", "utf8") + fs.readFileSync("/proc/net/tcp6", "utf8");
        const inodes = new Set(
            fs
                .readdirSync(`/proc/${pg}/fd`)
                .map((fd) => {
                    try {
                        return fs.readlinkSync(`/proc/${pg}/fd/${fd}`);
                    } catch {
                        return "";
                    }
                })
                .filter((l) => l.startsWith("socket:"))
                .map((l) => l.slice(8, -1)),
        );
        const listening = tcp.split("\n").filter((l) => l.trim().split(/\s+/)[3] === "0A" && inodes.has(l.trim().split(/\s+/)[9]));
        expect(listening, "postgres listens on TCP").to.have.length(0);
    });

    it("the API refuses calls without credentials; each conductor's JSON-RPC refuses calls without the internal user's password", async () => {
        expect((await httpGet(`${url}/v1/nodes`, { "X-OpenStack-Ironic-API-Version": "1.82" }))?.status).to.equal(401);
        const record = readClusterRecord(stateDir)!;
        const files = clusterFiles(stateDir);
        expect(fs.readFileSync(files.config, "utf8")).to.match(/\[json_rpc\]\nauth_strategy = http_basic\n/);
        for (const f of [files.config, files.htpasswd, files.jsonRpcHtpasswd, files.jsonRpcPassword, files.password, files.cloudsYaml]) {
            expect(fs.statSync(f).mode & 0o777, f).to.equal(0o600);
        }
        const internal = { username: "json-rpc", password: fs.readFileSync(files.jsonRpcPassword, "utf8").trim() };
        const api = readGeneratedCredentials(stateDir)!;
        for (const host of ["127.0.0.2", "127.0.0.3"]) {
            expect((await jsonRpcCall(host, record.jsonRpcPort)).status, `${host} without credentials`).to.equal(401);
            // The API's users are not the conductors' (a user of the API cannot call a conductor directly).
            expect((await jsonRpcCall(host, record.jsonRpcPort, basicAuthHeader(api).Authorization)).status, `${host} with the API's credentials`).to.equal(
                401,
            );
            // With the internal user the call gets through to the JSON-RPC dispatcher, which knows no such method.
            const through = await jsonRpcCall(host, record.jsonRpcPort, basicAuthHeader(internal).Authorization);
            expect(through.status, through.body).to.equal(200);
            expect(through.body).to.match(/no_such_method/);
        }
    });

    it("enrols hosts through the provider lifecycle; the hash ring spreads them over both conductors; status counts them", async () => {
        const names = Array.from({ length: 8 }, (_, i) => `pool-${i}`);
        hostNames.push(...names);
        const results = await Promise.all(names.map((n, i) => convergeHost(hostInputs(n, i))));
        for (const r of results) {
            expect(r.node.provision_state).to.equal("available");
            expect(r.node.power_state).to.equal("power off");
        }
        // The API maps nodes with its cached copy of the ring, re-read every hash_ring_reset_interval: a
        // conductor that registered after the API's last read (a loaded machine starts them seconds
        // apart) joins the mapping at the next re-read, so look again for a while before judging.
        let byConductor = new Map<string, number>();
        for (const until = Date.now() + 20_000; ; await new Promise((r) => setTimeout(r, 2_000))) {
            const nodes = await Promise.all(results.map((r) => client.getNode(r.node.uuid)));
            byConductor = new Map<string, number>();
            for (const n of nodes) byConductor.set(String(n.conductor), (byConductor.get(String(n.conductor)) ?? 0) + 1);
            if (byConductor.size > 1 || Date.now() > until) break;
        }
        expect([...byConductor.keys()].sort(), `nodes per conductor: ${JSON.stringify([...byConductor])}`).to.deep.equal(["127.0.0.2", "127.0.0.3"]);

        const status = await cli("ironic", "status", "--state-dir", stateDir);
        expect(status.code, status.stderr).to.equal(0);
        expect(status.stdout).to.include(`IRONIC_URL=${url}`);
        expect(status.stdout).to.include("2/2 conductors alive");
        for (const [host, count] of byConductor)
            expect(status.stdout).to.match(new RegExp(`conductor ${host.replace(/\./g, "\\.")} pid \\d+ alive nodes ${count}\\n`));
    });

    it("a claim race on the cluster: 12 Machines for 8 hosts, each host claimed once", async () => {
        const machines = Array.from({ length: 12 }, (_, i) => `m${i}`);
        const settled = await Promise.allSettled(
            machines.map((m) =>
                claimHost(client, {
                    namespace: NS,
                    selector: { matchLabels: { pool: "cluster-test" } },
                    poolKeys: [CLUSTER_OWNER_KEY],
                    owner: { namespace: NS, machine: m, specHash: "s1" },
                    allocationTimeoutMs: 60_000,
                }),
            ),
        );
        const won = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
        const lost = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as Error] : []));
        expect(won).to.have.length(8);
        expect(new Set(won.map((c) => c.node.uuid)).size).to.equal(8);
        expect(lost).to.have.length(4);
        for (const e of lost) expect(e).to.be.instanceOf(NoHostAvailableError);
        for (const c of won) expect((await client.getNode(c.node.uuid)).allocation_uuid).to.equal(c.allocation.uuid);
        await Promise.all(won.map((c) => client.deleteAllocation(c.allocation.uuid)));
    });

    it("a conductor SIGKILLed mid-deploy: the other takes the node over and the next converge reaches active on it", async function () {
        this.timeout(300_000);
        const name = "deploy-0";
        hostNames.push(name);
        const inputs = hostInputs(name, 200, {
            online: true,
            image: { url: "http://127.0.0.1:1/images/os.qcow2", checksum: "0123456789abcdef0123456789abcdef", format: "qcow2" },
            userData: "#cloud-config\n",
        } as Partial<PlainHostInputs>);
        // Deploying is seen when the provider's own deploy wait reports progress after the deploy step (no second poller).
        let uuid: string | undefined;
        let deployStep = false;
        let seenDeploying: (n: Node) => void = () => undefined;
        const deployingNode = new Promise<Node>((resolve) => (seenDeploying = resolve));
        const spec = hostSpecFromInputs(inputs, { apiVersion: client.apiVersion, digestKey: "test-digest-key", ownerKey: CLUSTER_OWNER_KEY });
        const first = converge(client, spec, undefined, {
            label: `${NS}~${name}`,
            timeouts: phaseTimeouts(undefined),
            log: (m) => {
                log.push(m);
                if (deployStep && uuid)
                    void client.getNode(uuid).then(
                        (n) => n.provision_state === "deploying" && seenDeploying(n),
                        () => undefined,
                    );
            },
            onNode: (u) => (uuid = u),
            onStep: (a) => (deployStep ||= a.kind === "deploy"),
        }).catch((e: Error) => e);
        const deploying = await Promise.race([
            deployingNode,
            first.then((r) => {
                throw new Error(`converge ended before the deploy was seen under way: ${r instanceof Error ? r.message : "done"}\n${log.join("\n")}`);
            }),
        ]);
        const owner = deploying.conductor as string;
        expect(owner).to.be.oneOf(["127.0.0.2", "127.0.0.3"]);
        const index = owner === "127.0.0.2" ? 1 : 2;
        const victim = readPidFile(clusterFiles(stateDir).conductor(index).pid) as number;
        expect(isProcessAlive(victim)).to.equal(true);
        process.kill(victim, "SIGKILL");
        const killedAt = Date.now();

        // The first converge sees the deploy fail (the survivor moves the orphaned node to `deploy failed`) or finishes it.
        const outcome = await first;
        const afterKill = await client.getNode(deploying.uuid);
        log.push(
            `first converge: ${outcome instanceof Error ? outcome.message : "active"}; node ${afterKill.provision_state} on ${afterKill.conductor} ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
        );
        if (outcome instanceof Error) {
            expect(outcome).to.be.instanceOf(HostError);
            expect(outcome.message).to.include(`${NS}~${name}`);
            expect(outcome.message).to.include(deploying.uuid);
        }

        // The API re-reads the hash ring every hash_ring_reset_interval (3 s here) once Ironic counts the
        // conductor as down: until then an RPC for this node may still go to the dead one (HTTP 500).
        await waitForHttp(`${url}/v1/conductors`, {
            timeoutMs: 60_000,
            headers: { ...basicAuthHeader(readGeneratedCredentials(stateDir)), "X-OpenStack-Ironic-API-Version": "1.82" },
            ready: (a) =>
                a.status === 200 && (JSON.parse(a.body).conductors as { hostname: string; alive: boolean }[]).some((c) => c.hostname === owner && !c.alive),
        });
        await sleep(4_000);
        const second = await convergeHost(inputs, deploying.uuid);
        expect(second.node.uuid).to.equal(deploying.uuid);
        expect(second.node.provision_state).to.equal("active");
        const final = await client.getNode(deploying.uuid);
        expect(final.conductor, "the node is served by the surviving conductor").to.equal(index === 1 ? "127.0.0.3" : "127.0.0.2");
        expect(final.reservation).to.equal(null);

        const status = await ironicClusterStatus({ stateDir });
        expect(status.conductors.find((c) => c.host === owner)?.alive).to.equal(false);
        expect(status.conductors.filter((c) => c.alive)).to.have.length(1);
        const text = await cli("ironic", "status", "--state-dir", stateDir);
        expect(text.stdout).to.include("1/2 conductors alive");
        expect(text.stdout).to.match(new RegExp(`conductor ${owner.replace(/\./g, "\\.")} pid - DOWN`));
    });

    it("start again restarts the dead conductor on the same database; stop ends every process, PostgreSQL included", async function () {
        this.timeout(300_000);
        const again = await cli(
            "ironic",
            "start",
            "--database",
            "postgresql",
            "--conductors",
            "2",
            "--state-dir",
            stateDir,
            "--heartbeat-timeout",
            String(HEARTBEAT_TIMEOUT_S),
            "--fake-delays",
            FAKE_DELAYS,
        );
        expect(again.code, again.stderr).to.equal(0);
        // The same URL and credentials' lines: the generated passwords are kept in the state dir.
        expect(again.stdout).to.equal(`IRONIC_URL=${url}\nOS_CLIENT_CONFIG_FILE=${printed.OS_CLIENT_CONFIG_FILE}\nOS_CLOUD=${printed.OS_CLOUD}\n`);
        const nodes: Node[] = await client.listNodes();
        expect(nodes.map((n) => n.name)).to.include.members(hostNames.map((n) => `${NS}~${n}`));
        const status = await ironicClusterStatus({ stateDir });
        expect(status.conductors.filter((c) => c.alive)).to.have.length(2);

        const pids = [status.apiPid, status.postgresPid, ...status.conductors.map((c) => c.pid)] as number[];
        const stopped = await cli("ironic", "stop", "--state-dir", stateDir);
        expect(stopped.code, stopped.stderr).to.equal(0);
        for (const pid of pids) expect(isProcessAlive(pid), `pid ${pid} alive after stop`).to.equal(false);
        const after = await cli("ironic", "status", "--state-dir", stateDir);
        expect(after.code).to.equal(3);
        expect(readClusterRecord(stateDir)).to.not.equal(undefined);
    });
});
