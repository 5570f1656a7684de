// Faults campaign under the real engine (the `pulumi` CLI, file:// backend), one stack reused
// through the scenarios: Ironic SIGKILLed mid-deploy and mid-delete, and the CLI itself SIGKILLed
// (its whole process group: engine, language host, provider) mid-create, mid-update and
// mid-delete, followed by what Pulumi tells operators to do: `pulumi cancel` (drops the update's
// lock), `pulumi refresh --clear-pending-creates`, `pulumi up`. The node a killed create left
// behind must be taken over through its owner record, not enrolled a second time.
import { expect } from "chai";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { RETRY_SECONDS_ENV } from "../../provider/ironic/connection";
import type { RunningIronic } from "../../local/ironic";
import { killIronic, restartIronic } from "../support/ironic-outage";
import { RunResult, TestStack } from "../e2e/stack";
import { census, Census, expectDeclared, recordRow, until } from "./campaign";
import { engineAndIronic, operatorCleanup, startCli } from "./killed-cli";

const DELAYS = { power: "0", boot: "0", management: "0", bios: "3", inspect: "1", deploy: "3" };

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { BareMetalHost } = require("pulumi-metal3/dist/sdk/baremetalhost");
const cfg = new pulumi.Config();
const tag = cfg.require("tag");
const hosts = JSON.parse(cfg.require("hosts"));
const uuids = {};
for (const [name, h] of Object.entries(hosts)) {
    const r = new BareMetalHost(name + "-" + tag, {
        namespace: "faults",
        bmc: { address: "fake://" + name, password: "bmc-pw-do-not-leak" },
        bootMACAddress: "52:54:0c:" + tag + ":00:0" + h.n,
        online: h.online,
        inspectionMode: "disabled",
        automatedCleaningMode: h.clean ? "metadata" : "disabled",
        image: h.image ? { url: "http://127.0.0.1:1/os.qcow2", checksum: "0123456789abcdef", format: "qcow2" } : undefined,
    });
    uuids[name] = r.nodeUuid;
}
exports.uuids = uuids;
`;

interface HostDecl {
    n: number;
    online: boolean;
    image?: boolean;
    clean?: boolean;
}

describe("faults: the engine (pulumi CLI) with Ironic or the CLI killed mid-operation", function () {
    this.timeout(900_000);
    const tag = (0x10 + Math.floor(Math.random() * 0xef)).toString(16);
    const nodeName = (h: string) => `faults~${h}-${tag}`;
    let stack: TestStack;
    let ironic: RunningIronic;
    let client: IronicClient;

    before(async function () {
        this.timeout(3600_000);
        ({ ironic, client } = await engineAndIronic(DELAYS));
        stack = await TestStack.inline(
            "faults",
            { "Pulumi.yaml": "name: faults\nruntime: nodejs\n", "package.json": '{"name":"faults","main":"index.js"}\n', "index.js": PROGRAM },
            `faults${tag}`,
        );
        await stack.setConfig("pulumi-metal3:ironicUrl", ironic.url);
        await stack.setConfig("tag", tag);
    });
    after(async function () {
        this.timeout(300_000);
        if (stack && (await stack.run(["destroy", "--yes", "--skip-preview"])).code === 0) require("fs").rmSync(stack.dir, { recursive: true, force: true });
        await client?.close();
    });

    /** The hosts the program declares, as `--config` arguments of the run (saved to the stack's config by it: no extra command). */
    const declare = (hosts: Record<string, HostDecl>) => ["--config", `hosts=${JSON.stringify(hosts)}`];
    const node = (h: string) => client.findNode(nodeName(h)).catch(() => undefined);
    const inPhase = (h: string, states: string[]) => async (): Promise<Node | undefined> => {
        const n = await node(h);
        return n && states.includes(n.provision_state) ? n : undefined;
    };
    const tagged = async (): Promise<Census> => {
        const c = await census(client, `-${tag}`);
        return { nodes: c.nodes, allocations: c.allocations };
    };
    /** The first line of the engine's output that carries the provider's error about host `h` (the engine wraps it in "error: ..." or "* ..."). */
    const operatorLine = (r: RunResult, h: string) =>
        (r.stdout + r.stderr)
            .split("\n")
            .map((l) => l.trim().replace(/^(error: |\* )+/, ""))
            .find((l) => l.startsWith(`host ${nodeName(h)}`)) ?? "";

    it("Ironic killed mid-deploy: up fails naming the host; after the restart, up finishes the deploy on the same node", async () => {
        const t0 = Date.now();
        const hosts = declare({ d: { n: 1, online: true, image: true, clean: true } });
        const up = stack.run(["up", "--yes", "--skip-preview", ...hosts], { env: { [RETRY_SECONDS_ENV]: "3" } });
        const caught = await until("d deploying", inPhase("d", ["deploying", "wait call-back"]), 240_000);
        const before = await tagged();
        await killIronic(ironic);
        const failed = await up;
        expect(failed.code).to.not.equal(0);
        const saw = operatorLine(failed, "d");
        expect(saw, "the operator's first line names the host").to.not.equal("");
        expect(failed.stdout + failed.stderr)
            .to.contain(`host ${nodeName("d")}`)
            .and.to.contain("cannot reach Ironic")
            .and.to.contain("run the same pulumi command again");
        ironic = await restartIronic(ironic, DELAYS, "faults-engine-ironic");
        const takeover = (await client.getNode(caught.uuid)).provision_state;
        const converged = await stack.must(["up", "--yes", "--skip-preview", ...hosts]);
        expect(converged.stdout + converged.stderr).to.not.match(/deleting the Ironic node|WILL REPLACE/i);
        const after = await expectDeclared(client, `-${tag}`, { [nodeName("d")]: { provision: "active", power: "power on", uuid: caught.uuid } });
        recordRow("engine", {
            group: "ironic",
            fault: "Ironic SIGKILLed, restarted on the same database",
            moment: "`pulumi up`: deploy",
            level: "engine",
            operatorSaw: saw,
            recovery: `Ironic's takeover left the node \`${takeover}\`; the next \`pulumi up\` deployed the same node to \`active\``,
            before,
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });

    it("CLI killed mid-create: cancel, refresh --clear-pending-creates, up: the node left behind is taken over by its owner record, not duplicated", async () => {
        const t0 = Date.now();
        const hosts = declare({ d: { n: 1, online: true, image: true, clean: true }, c: { n: 2, online: false, clean: true } });
        const up = startCli(stack, ["up", "--yes", "--skip-preview", ...hosts]);
        const caught = await until("c cleaning", inPhase("c", ["cleaning", "clean wait"]), 240_000);
        const before = await tagged();
        const killed = await up.kill();
        expect(killed.signal).to.equal("SIGKILL");
        // What the operator sees next: the killed update still holds the stack's lock.
        const locked = await stack.run(["up", "--yes", "--skip-preview", ...hosts]);
        expect(locked.code).to.not.equal(0);
        expect(locked.stdout + locked.stderr).to.match(/locked/i);
        const lockedLine = (locked.stdout + locked.stderr)
            .split("\n")
            .map((l) => l.trim())
            .find((l) => /locked/i.test(l))!;
        const steps = await operatorCleanup(stack);
        const converged = await stack.must(["up", "--yes", "--skip-preview", ...hosts]);
        expect(converged.stdout + converged.stderr).to.not.match(/deleting the Ironic node|enrolling Ironic node/i);
        const after = await expectDeclared(client, `-${tag}`, {
            [nodeName("d")]: { provision: "active", power: "power on" },
            [nodeName("c")]: { provision: "available", power: "power off", uuid: caught.uuid },
        });
        recordRow("engine", {
            group: "cli",
            fault: "`pulumi` CLI SIGKILLed (process group)",
            moment: "`pulumi up`: create (cleaning)",
            level: "engine",
            operatorSaw: `nothing (the CLI died); the next \`pulumi up\`: ${lockedLine}`,
            recovery: `${steps.join(", ")}, \`pulumi up\`: the node left behind (\`${caught.provision_state}\`) taken over by its owner record, same UUID, not enrolled again`,
            before,
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });

    it("CLI killed mid-update: cancel, refresh, up: the update finishes on the same node", async () => {
        const t0 = Date.now();
        const c = (await node("c"))!;
        const hosts = declare({ d: { n: 1, online: true, image: true, clean: true }, c: { n: 2, online: true, image: true, clean: true } });
        const up = startCli(stack, ["up", "--yes", "--skip-preview", ...hosts]);
        await until("c deploying", inPhase("c", ["deploying", "wait call-back"]), 240_000);
        const before = await tagged();
        await up.kill();
        const steps = await operatorCleanup(stack);
        await stack.must(["up", "--yes", "--skip-preview", ...hosts]);
        const after = await expectDeclared(client, `-${tag}`, {
            [nodeName("d")]: { provision: "active", power: "power on" },
            [nodeName("c")]: { provision: "active", power: "power on", uuid: c.uuid },
        });
        recordRow("engine", {
            group: "cli",
            fault: "`pulumi` CLI SIGKILLed (process group)",
            moment: "`pulumi up`: update (deploy)",
            level: "engine",
            operatorSaw: "nothing (the CLI died; the stack stays locked until `pulumi cancel`)",
            recovery: `${steps.join(", ")}, \`pulumi up\`: the deploy finished on the same node`,
            before,
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });

    it("CLI killed mid-delete: cancel, refresh, up: the delete finishes, nothing orphaned", async () => {
        const t0 = Date.now();
        const hosts = declare({ d: { n: 1, online: true, image: true, clean: true } });
        const up = startCli(stack, ["up", "--yes", "--skip-preview", ...hosts]);
        await until("c undeploying", inPhase("c", ["deleting", "cleaning", "clean wait"]), 240_000);
        const before = await tagged();
        await up.kill();
        const steps = await operatorCleanup(stack);
        await stack.must(["up", "--yes", "--skip-preview", ...hosts]);
        const after = await expectDeclared(client, `-${tag}`, { [nodeName("d")]: { provision: "active", power: "power on" } });
        recordRow("engine", {
            group: "cli",
            fault: "`pulumi` CLI SIGKILLed (process group)",
            moment: "`pulumi up`: delete (undeploy)",
            level: "engine",
            operatorSaw: "nothing (the CLI died; the stack stays locked until `pulumi cancel`)",
            recovery: `${steps.join(", ")}, \`pulumi up\`: the delete finished (node deleted)`,
            before,
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });

    it("Ironic killed mid-delete (destroy): destroy fails naming the host; after the restart, destroy finishes", async () => {
        const t0 = Date.now();
        const destroy = stack.run(["destroy", "--yes", "--skip-preview"], { env: { [RETRY_SECONDS_ENV]: "3" } });
        const caught = await until("d undeploying", inPhase("d", ["deleting", "cleaning", "clean wait"]), 240_000);
        const before = await tagged();
        await killIronic(ironic);
        const failed = await destroy;
        expect(failed.code).to.not.equal(0);
        expect(failed.stdout + failed.stderr)
            .to.contain(`host ${nodeName("d")}`)
            .and.to.contain("cannot reach Ironic");
        ironic = await restartIronic(ironic, DELAYS, "faults-engine-ironic");
        const takeover = (await client.getNode(caught.uuid)).provision_state;
        await stack.must(["destroy", "--yes", "--skip-preview"]);
        const after = await expectDeclared(client, `-${tag}`, {});
        recordRow("engine", {
            group: "ironic",
            fault: "Ironic SIGKILLed, restarted on the same database",
            moment: "`pulumi destroy`: undeploy/cleaning",
            level: "engine",
            operatorSaw: operatorLine(failed, "d"),
            recovery: `Ironic's takeover left the node \`${takeover}\`; \`pulumi destroy\` again deleted it`,
            before,
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });
});
