// Faults campaign under the real engine, at the moments engine.test.ts does not reach: Ironic
// SIGKILLed (and restarted on the same database) while `pulumi up` enrols (verifying the BMC),
// inspects, cleans, and deploys a Machine's claimed host; the `pulumi` CLI SIGKILLed while a host
// is inspected and while a Machine's claimed host deploys. Each scenario is its own stack of one
// program (BareMetalHosts and Machines from config), on its own hosts, and ends destroyed.
//
// The Machine create killed mid-deploy is the one case that does not converge by itself: the
// engine recorded nothing of it, so the random key of the Machine's spec hash died with the CLI and
// the next create cannot tell the allocation left behind from a generation of the Machine being
// replaced (docs/CLAIMS.md). It claims another host and prints the two `baremetal` commands that
// free the first; the test runs exactly those commands and checks the pool is whole again.
import { execFile } from "child_process";
import { promisify } from "util";
import * as fs from "fs";
import { expect } from "chai";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { RETRY_SECONDS_ENV } from "../../provider/ironic/connection";
import type { RunningIronic } from "../../local/ironic";
import { killIronic, restartIronic } from "../support/ironic-outage";
import { RunResult, TestStack } from "../e2e/stack";
import { createPoolHosts, destroyPoolHosts, POOL_OWNER_KEY } from "../machine/pool";
import type { RunningCluster } from "../../local/ironic-cluster";
import { startPostgresIronic, stopPostgresIronic } from "../support/postgres-ironic";
import { census, Census, expectDeclared, recordRow, until } from "./campaign";
import { engineAndIronic, operatorCleanup, startCli } from "./killed-cli";

const NS = "faults";
/** Every phase lasts seconds, so a kill aimed at it lands inside it. */
const DELAYS = { power: "0", boot: "0", management: "0", bios: "3", inspect: "3", deploy: "3" };
const IMAGE = { url: "http://127.0.0.1:1/os.qcow2", checksum: "0123456789abcdef", format: "qcow2" };

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { BareMetalHost, Machine } = require("pulumi-metal3");
const cfg = new pulumi.Config();
const hosts = JSON.parse(cfg.get("hosts") || "{}");
const machines = JSON.parse(cfg.get("machines") || "{}");
const image = ${JSON.stringify(IMAGE)};
for (const [name, h] of Object.entries(hosts)) {
    new BareMetalHost(name, {
        namespace: "${NS}",
        bmc: { address: "fake://" + name, password: "bmc-pw-do-not-leak" },
        bootMACAddress: h.mac,
        online: h.online,
        inspectionMode: h.inspect ? "fast" : "disabled",
        automatedCleaningMode: h.clean ? "metadata" : "disabled",
        image: h.image ? image : undefined,
    });
}
exports.machineHosts = {};
for (const [name, m] of Object.entries(machines)) {
    const r = new Machine(name, {
        name,
        namespace: "${NS}",
        hostSelector: { matchLabels: { pool: m.pool } },
        image: { url: m.image || image.url, checksum: image.checksum, format: image.format },
        userData: pulumi.secret("#cloud-config\\nhostname: " + name + "\\n"),
        timeouts: { create: "5m", delete: "5m" },
    });
    exports.machineHosts[name] = r.hostName;
}
`;

interface HostDecl {
    mac: string;
    online: boolean;
    inspect?: boolean;
    clean?: boolean;
    image?: boolean;
}

describe("faults: the engine at every moment (Ironic or the CLI killed while enrolling, inspecting, cleaning, claiming)", function () {
    this.timeout(900_000);
    // Hex, for MAC addresses; also in every name of this run.
    const tag = (0x10 + Math.floor(Math.random() * 0xef)).toString(16);
    let base: TestStack;
    let ironic: RunningIronic;
    let client: IronicClient;
    let stacks = 0;
    const stacksMade: TestStack[] = [];
    const pools: Node[] = [];

    before(async function () {
        this.timeout(3600_000);
        ({ ironic, client } = await engineAndIronic(DELAYS));
        base = await TestStack.inline(
            "faults-moments",
            { "Pulumi.yaml": "name: faults-moments\nruntime: nodejs\n", "package.json": '{"name":"faults-moments","main":"index.js"}\n', "index.js": PROGRAM },
            `base${tag}`,
        );
    });
    after(async function () {
        this.timeout(600_000);
        let clean = true;
        for (const s of stacksMade) clean = (await s.run(["destroy", "--yes", "--skip-preview"])).code === 0 && clean;
        if (client) await destroyPoolHosts(client, pools);
        if (clean && base) fs.rmSync(base.dir, { recursive: true, force: true });
        await client?.close();
    });

    /** A stack of its own for one scenario, on this run's Ironic. */
    async function scenarioStack(opts: { claimsFixturePool?: boolean } = {}): Promise<TestStack> {
        const s = await base.sibling(`s${++stacks}x${tag}`);
        await s.setConfig("pulumi-metal3:ironicUrl", ironic.url);
        // Its Machines claim a fixture pool, enrolled under POOL_OWNER_KEY (test/machine/pool.ts).
        if (opts.claimsFixturePool) await s.setOwnerKey({ key: POOL_OWNER_KEY });
        stacksMade.push(s);
        return s;
    }
    const mac = (n: number) => `52:54:0d:${tag}:${(n % 256).toString(16).padStart(2, "0")}:01`;
    const declare = (hosts: Record<string, HostDecl>, machines: Record<string, { pool: string; image?: string }> = {}) => [
        "--config",
        `hosts=${JSON.stringify(hosts)}`,
        "--config",
        `machines=${JSON.stringify(machines)}`,
    ];
    const nodeName = (h: string) => `${NS}~${h}`;
    const inPhase = (name: string, states: string[]) => async (): Promise<Node | undefined> => {
        const n = await client.findNode(name).catch(() => undefined);
        return n && states.includes(n.provision_state) ? n : undefined;
    };
    const poolDeploying = (pool: Node[]) => async (): Promise<Node | undefined> => {
        for (const p of pool) {
            const n = await client.getNode(p.uuid).catch(() => undefined);
            if (n && ["deploying", "wait call-back"].includes(n.provision_state)) return n;
        }
        return undefined;
    };
    const mine = async (word: string): Promise<Census> => {
        const c = await census(client, word);
        return { nodes: c.nodes, allocations: c.allocations };
    };
    /** The first line of the engine's output that carries the provider's error about `subject` ("host ns~name" / "machine ns/name"). */
    const operatorLine = (r: { stdout: string; stderr: string }, subject: string) =>
        (r.stdout + r.stderr)
            .split("\n")
            .map((l) => l.trim().replace(/^(error: |\* )+/, ""))
            .find((l) => l.startsWith(subject)) ?? "";
    /** A pool of claimable hosts made directly in Ironic (as BareMetalHosts of another stack would leave them). */
    async function pool(name: string, size: number): Promise<Node[]> {
        const made = await createPoolHosts(
            client,
            NS,
            Array.from({ length: size }, (_, i) => ({ name: `${name}-h${i}`, labels: { pool: name } })),
        );
        pools.push(...made);
        return made;
    }

    /** Ironic SIGKILLed once `probe` finds the node in the phase aimed at; the failed run; Ironic back on the same database. */
    async function killIronicDuring(running: Promise<RunResult>, what: string, probe: () => Promise<Node | undefined>) {
        const caught = await until(what, probe, 240_000);
        const before = await mine(`-${tag}`);
        await killIronic(ironic);
        const failed = await running;
        ironic = await restartIronic(ironic, DELAYS, "faults-moments-ironic");
        const takeover = (await client.getNode(caught.uuid)).provision_state;
        return { caught, failed, before, takeover };
    }

    const creates: Array<[string, string[], Omit<HostDecl, "mac">]> = [
        ["enrol/manage (verifying the BMC)", ["verifying"], { online: false }],
        ["inspection", ["inspecting"], { online: false, inspect: true }],
        ["cleaning", ["cleaning", "clean wait"], { online: false, clean: true }],
    ];
    creates.forEach(([moment, states, decl], i) => {
        it(`Ironic killed mid-\`up\`, ${moment}: up fails naming the host; after the restart, the next up continues on the same node`, async () => {
            const t0 = Date.now();
            const stack = await scenarioStack();
            const host = `${moment.split(" ")[0].replace("/", "")}-${tag}`;
            const args = ["up", "--yes", "--skip-preview", ...declare({ [host]: { mac: mac(0x10 + i), ...decl } })];
            const { caught, failed, before, takeover } = await killIronicDuring(
                stack.run(args, { env: { [RETRY_SECONDS_ENV]: "3" } }),
                `${host} in ${states.join("/")}`,
                inPhase(nodeName(host), states),
            );
            expect(failed.code, failed.stdout + failed.stderr).to.not.equal(0);
            const saw = operatorLine(failed, `host ${nodeName(host)}`);
            expect(saw, `the operator's line names the host\n${failed.stdout}${failed.stderr}`).to.not.equal("");
            expect(failed.stdout + failed.stderr)
                .to.contain("cannot reach Ironic")
                .and.to.contain("run the same pulumi command again");
            const converged = await stack.must(args);
            expect(converged.stdout + converged.stderr).to.not.match(/deleting the Ironic node|WILL REPLACE/i);
            const after = await expectDeclared(client, host, { [nodeName(host)]: { provision: "available", power: "power off", uuid: caught.uuid } });
            await stack.must(["destroy", "--yes", "--skip-preview"]);
            await expectDeclared(client, host, {});
            recordRow("engine-moments", {
                group: "ironic",
                fault: "Ironic SIGKILLed, restarted on the same database",
                moment: `\`pulumi up\`: create, ${moment}`,
                level: "engine",
                operatorSaw: saw,
                recovery: `Ironic's takeover left the node \`${takeover}\`; the next \`pulumi up\` continued on the same node to \`available\`; \`destroy\` deleted it`,
                before: { nodes: before.nodes.filter((n) => n.includes(host)), allocations: [] },
                after,
                seconds: Math.round((Date.now() - t0) / 1000),
            });
        });
    });

    it("Ironic killed while a Machine's claimed host deploys: up fails naming the Machine; the next up keeps the one claim and finishes", async () => {
        const t0 = Date.now();
        const stack = await scenarioStack({ claimsFixturePool: true });
        const poolName = `pk-${tag}`;
        const hosts = await pool(poolName, 2);
        const machine = `${poolName}-m`;
        const args = ["up", "--yes", "--skip-preview", ...declare({}, { [machine]: { pool: poolName } })];
        const { caught, failed, before, takeover } = await killIronicDuring(
            stack.run(args, { env: { [RETRY_SECONDS_ENV]: "3" } }),
            "a pool host deploying",
            poolDeploying(hosts),
        );
        expect(failed.code, failed.stdout + failed.stderr).to.not.equal(0);
        const saw = operatorLine(failed, `machine ${NS}/${machine}`);
        expect(saw, `the operator's line names the Machine\n${failed.stdout}${failed.stderr}`).to.not.equal("");
        expect(failed.stdout + failed.stderr).to.contain("cannot reach Ironic");
        await stack.must(args);
        const other = hosts.find((h) => h.uuid !== caught.uuid)!;
        expect((await stack.outputs()).machineHosts[machine]).to.equal(caught.name!.split("~")[1]);
        const after = await expectDeclared(
            client,
            poolName,
            {
                [caught.name!]: { provision: "active", power: "power on", uuid: caught.uuid },
                [other.name!]: { provision: "available", power: "power off", uuid: other.uuid },
            },
            [`${NS}~${machine}`],
        );
        await stack.must(["destroy", "--yes", "--skip-preview"]);
        await expectDeclared(client, poolName, {
            [caught.name!]: { provision: "available", power: "power off" },
            [other.name!]: { provision: "available", power: "power off" },
        });
        recordRow("engine-moments", {
            group: "ironic",
            fault: "Ironic SIGKILLed, restarted on the same database",
            moment: "`pulumi up`: Machine create, claimed host deploying",
            level: "engine",
            operatorSaw: saw,
            recovery: `Ironic's takeover left the node \`${takeover}\`; the next \`pulumi up\` kept the one claim and deployed the same host; \`destroy\` returned it to the pool`,
            before: { nodes: before.nodes.filter((n) => n.includes(poolName)), allocations: before.allocations },
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });

    it("CLI killed mid-create, inspection: cancel, refresh --clear-pending-creates, up: the node is taken over by its owner record", async () => {
        const t0 = Date.now();
        const stack = await scenarioStack();
        const host = `ci-${tag}`;
        const args = ["up", "--yes", "--skip-preview", ...declare({ [host]: { mac: mac(0x20), online: false, inspect: true } })];
        const up = startCli(stack, args);
        const caught = await until(`${host} inspecting`, inPhase(nodeName(host), ["inspecting"]), 240_000);
        const before = await mine(host);
        await up.kill();
        const steps = await operatorCleanup(stack);
        const converged = await stack.must(args);
        expect(converged.stdout + converged.stderr).to.not.match(/enrolling Ironic node|deleting the Ironic node/i);
        const after = await expectDeclared(client, host, { [nodeName(host)]: { provision: "available", power: "power off", uuid: caught.uuid } });
        await stack.must(["destroy", "--yes", "--skip-preview"]);
        await expectDeclared(client, host, {});
        recordRow("engine-moments", {
            group: "cli",
            fault: "`pulumi` CLI SIGKILLed (process group)",
            moment: "`pulumi up`: create (inspection)",
            level: "engine",
            operatorSaw: "nothing (the CLI died; the stack stays locked until `pulumi cancel`)",
            recovery: `${steps.join(", ")}, \`pulumi up\`: the node left inspecting taken over by its owner record, same UUID, to \`available\``,
            before,
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });

    it("CLI killed while a Machine's claimed host deploys: the next up claims another host and names the allocation left behind; the operator's command frees its host", async () => {
        const t0 = Date.now();
        const stack = await scenarioStack({ claimsFixturePool: true });
        const poolName = `pc-${tag}`;
        const hosts = await pool(poolName, 2);
        const machine = `${poolName}-m`;
        const args = ["up", "--yes", "--skip-preview", ...declare({}, { [machine]: { pool: poolName } })];
        const up = startCli(stack, args);
        const first = await until("a pool host deploying", poolDeploying(hosts), 240_000);
        const before = await mine(poolName);
        await up.kill();
        const steps = await operatorCleanup(stack);
        const converged = await stack.must(args);
        const out = converged.stdout + converged.stderr;
        // The create names what it passed over and how to free it.
        const left = (await client.listAllocations()).find((a) => a.name === `${NS}~${machine}`);
        expect(left, "the allocation of the killed create is still there").to.not.equal(undefined);
        expect(left!.node_uuid).to.equal(first.uuid);
        expect(out).to.contain(`baremetal node undeploy ${first.uuid}`).and.to.contain(`baremetal allocation delete ${left!.uuid}`);
        const note = out
            .split("\n")
            .map((l) => l.trim())
            .find((l) => l.includes(`baremetal node undeploy ${first.uuid}`))!;
        const second = hosts.find((h) => h.uuid !== first.uuid)!;
        expect((await stack.outputs()).machineHosts[machine]).to.equal(second.name!.split("~")[1]);
        // The operator does what the note says: tear the node down when it is deployed (or its
        // deploy failed), else delete the allocation.
        const env = { ...process.env, OS_ENDPOINT: ironic.url, OS_AUTH_TYPE: "none" };
        const settled = await until(`${first.name} settled`, inPhase(first.name!, ["active", "deploy failed", "available"]), 120_000);
        const command = settled.provision_state === "available" ? ["allocation", "delete", left!.uuid] : ["node", "undeploy", "--wait", "300", first.uuid];
        await promisify(execFile)("baremetal", command, { env });
        const commands = [`\`baremetal ${command.filter((a) => a !== "--wait" && a !== "300").join(" ")}\` (the node was \`${settled.provision_state}\`)`];
        expect(await client.findAllocation(left!.uuid), "the allocation left behind is gone").to.equal(undefined);
        const machineAllocation = (await client.listAllocations()).filter((a) => a.name?.startsWith(`${NS}~${machine}`)).map((a) => String(a.name));
        expect(machineAllocation).to.have.length(1);
        const after = await expectDeclared(
            client,
            poolName,
            {
                [second.name!]: { provision: "active", power: "power on", uuid: second.uuid },
                [first.name!]: { provision: "available", power: "power off", uuid: first.uuid },
            },
            machineAllocation,
        );
        await stack.must(["destroy", "--yes", "--skip-preview"]);
        await expectDeclared(client, poolName, {
            [second.name!]: { provision: "available", power: "power off" },
            [first.name!]: { provision: "available", power: "power off" },
        });
        recordRow("engine-moments", {
            group: "cli",
            fault: "`pulumi` CLI SIGKILLed (process group)",
            moment: "`pulumi up`: Machine create, claimed host deploying",
            level: "engine",
            operatorSaw: `nothing (the CLI died); the next \`pulumi up\` claimed another host and said: ${note.replace(/^.*\[machine\] /, "")}`,
            recovery: `${steps.join(", ")}, \`pulumi up\` (Machine ready on the other host); the operator ran ${commands.join(" and ")}: host back in the pool, one allocation`,
            before,
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });
    it("two stacks on one pool at once: concurrent up, concurrent image change (replacements), concurrent destroy; each host held once", async () => {
        // Four Machines claim at once: on PostgreSQL, as a production Ironic (test/support/postgres-ironic.ts says why not sqlite).
        const pg = await startPostgresIronic();
        const client = await IronicClient.connect({ url: pg.url, authType: "none" });
        let hosts: Node[] = [];
        try {
            await twoStacksOnOnePool(pg, client, (made) => (hosts = made));
        } finally {
            await destroyPoolHosts(client, hosts);
            await client.close();
            await stopPostgresIronic(pg);
        }
    });
    async function twoStacksOnOnePool(pg: RunningCluster, client: IronicClient, made: (hosts: Node[]) => void) {
        const t0 = Date.now();
        const [a, b] = [await scenarioStack({ claimsFixturePool: true }), await scenarioStack({ claimsFixturePool: true })];
        for (const s of [a, b]) await s.setConfig("pulumi-metal3:ironicUrl", pg.url);
        const poolName = `p2-${tag}`;
        const hosts = await createPoolHosts(
            client,
            NS,
            Array.from({ length: 4 }, (_, i) => ({ name: `${poolName}-h${i}`, labels: { pool: poolName } })),
        );
        made(hosts);
        const machinesOf = (s: string, image?: string) => Object.fromEntries([0, 1].map((i) => [`${poolName}-${s}m${i}`, { pool: poolName, image }]));
        const args = (s: string, image?: string) => ["up", "--yes", "--skip-preview", ...declare({}, machinesOf(s, image))];
        const both = async (argsA: string[], argsB: string[]) => {
            const [ra, rb] = await Promise.all([a.run(argsA), b.run(argsB)]);
            expect(ra.code, `stack a: ${ra.stdout}${ra.stderr}`).to.equal(0);
            expect(rb.code, `stack b: ${rb.stdout}${rb.stderr}`).to.equal(0);
        };
        const allocationNames = async () => (await client.listAllocations()).filter((x) => x.name?.startsWith(`${NS}~${poolName}-`)).map((x) => String(x.name));
        /** Every pool host claimed by exactly one of the four Machines, active on `image`. */
        async function everyHostOnce(image: string): Promise<Census> {
            const held = [...Object.values((await a.outputs()).machineHosts), ...Object.values((await b.outputs()).machineHosts)] as string[];
            expect([...held].sort(), "each pool host held by exactly one Machine").to.deep.equal(hosts.map((h) => h.name!.split("~")[1]).sort());
            const declared = Object.fromEntries(hosts.map((h) => [h.name!, { provision: "active", power: "power on", uuid: h.uuid }]));
            const c = await expectDeclared(client, poolName, declared, await allocationNames());
            expect(c.allocations).to.have.length(4);
            for (const h of hosts) expect((await client.getNode(h.uuid)).instance_info.image_source, h.name!).to.equal(image);
            return c;
        }
        const before = await census(client, poolName).then((c) => ({ nodes: c.nodes, allocations: c.allocations }));
        await both(args("a"), args("b"));
        await everyHostOnce(IMAGE.url);
        const v2 = "http://127.0.0.1:1/os-v2.qcow2";
        await both(args("a", v2), args("b", v2));
        const after = await everyHostOnce(v2);
        const [da, db] = await Promise.all([a.run(["destroy", "--yes", "--skip-preview"]), b.run(["destroy", "--yes", "--skip-preview"])]);
        expect(da.code, da.stdout + da.stderr).to.equal(0);
        expect(db.code, db.stdout + db.stderr).to.equal(0);
        await expectDeclared(client, poolName, Object.fromEntries(hosts.map((h) => [h.name!, { provision: "available", power: "power off", uuid: h.uuid }])));
        recordRow("engine-moments", {
            group: "writers",
            fault: "two stacks on one pool of 4 hosts, 2 Machines each, every command at once",
            moment: "`pulumi up` (claims), `pulumi up` (image change: replacements), `pulumi destroy`",
            level: "engine",
            operatorSaw: "",
            recovery:
                "none needed: each host claimed by exactly one Machine, all four redeployed with the new image (each replacement released its host first: no spare in the pool), destroy returned all four",
            before,
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    }
});
