// Issue 14 under the real engine: Ironic SIGKILLed in the middle of a `pulumi up` that creates
// hosts, with one host caught in each phase (enrol, inspection, cleaning, deploy), kept down
// longer than the client's retry window, then started again on the same state directory (and so,
// on the same port). The next preview must plan no replace (a replace deletes and wipes the very
// node the create was working on), and the next `up` must converge on the same nodes: none
// deleted, duplicated or wiped.
import { expect } from "chai";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { RETRY_SECONDS_ENV } from "../../provider/ironic/connection";
import { ensureToolchain } from "../../local/toolchain";
import type { RunningIronic } from "../../local/ironic";
import { startExtraIronic } from "../support/hooks";
import { killIronic, restartIronic } from "../support/ironic-outage";
import { TestStack } from "./stack";

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { BareMetalHost } = require("pulumi-metal3/dist/sdk/baremetalhost");
const cfg = new pulumi.Config();
const tag = cfg.require("tag");
const host = (name, n, args, opts) =>
    new BareMetalHost(name + "-" + tag, {
        bmc: { address: "fake://" + name, password: "bmc-pw-do-not-leak" },
        bootMACAddress: "52:54:05:" + tag + ":00:0" + n,
        online: false,
        inspectionMode: "disabled",
        automatedCleaningMode: "disabled",
        ...args,
    }, opts);
// Done before Ironic dies; the "enrol" host starts after it, so it is still verifying its BMC
// (manage) while the others are further on.
const quick = host("quick", 1, {});
const hosts = [
    quick,
    host("enrol", 2, {}, { dependsOn: [quick] }),
    host("inspect", 3, { inspectionMode: "fast" }),
    host("clean", 4, { automatedCleaningMode: "metadata" }),
    host("deploy", 5, {
        online: true,
        image: { url: "http://127.0.0.1:1/os.qcow2", checksum: "0123456789abcdef", format: "qcow2" },
        userData: "#cloud-config\\npassword: userdata-do-not-leak\\n",
    }),
];
exports.uuids = pulumi.all(hosts.map((h) => h.nodeUuid));
`;

/** The Ironic state that shows each host caught in its phase. */
const PHASE_STATE: Record<string, string> = { enrol: "verifying", inspect: "inspecting", clean: "cleaning", deploy: "deploying" };

describe("e2e: Ironic killed in the middle of a create, restarted on the same port", function () {
    this.timeout(600_000);
    const tag = (0x10 + Math.floor(Math.random() * 0xef)).toString(16);
    const nodeName = (h: string) => `default~${h}-${tag}`;
    let stack: TestStack;
    let ironic: RunningIronic;
    let client: IronicClient;

    const ours = async (): Promise<Node[]> => (await client.listNodes()).filter((n) => String(n.name).endsWith(`-${tag}`));

    before(async function () {
        this.timeout(3600_000);
        const tc = await ensureToolchain({ skipKubeApiserver: true, log: (s) => process.stderr.write(s + "\n") });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        // Verifying the BMC and cleaning each cache BIOS settings (bios delay); inspection and
        // deploy have their own delays. Long enough that each phase is sure to be under way at once.
        ironic = await startExtraIronic({ fakeDelays: { power: "0", boot: "0", management: "0", bios: "15", inspect: "45", deploy: "20" } });
        client = await IronicClient.connect({ url: ironic.url });
        stack = await TestStack.inline(
            "outage",
            { "Pulumi.yaml": "name: outage\nruntime: nodejs\n", "package.json": '{"name":"outage","main":"index.js"}\n', "index.js": PROGRAM },
            `outage${tag}`,
        );
        await stack.setConfig("pulumi-metal3:ironicUrl", ironic.url);
        await stack.setConfig("tag", tag);
    });

    after(async function () {
        this.timeout(300_000);
        if (stack && (await stack.run(["destroy", "--yes", "--skip-preview"])).code === 0) require("fs").rmSync(stack.dir, { recursive: true, force: true });
        await client?.close();
    });

    it("preview after the outage plans updates, not replaces; up converges on the same nodes; nothing deleted, duplicated or wiped", async () => {
        // Give up on the unreachable Ironic after 3 s (production: a minute), so the outage outlasts it quickly.
        const up = stack.run(["up", "--yes", "--skip-preview"], { env: { [RETRY_SECONDS_ENV]: "3" } });

        // Kill Ironic the moment each host is in its phase.
        let seen = "";
        const caught = new Map<string, Node>();
        const deadline = Date.now() + 150_000;
        while (caught.size < Object.keys(PHASE_STATE).length) {
            if (Date.now() > deadline) throw new Error(`never saw every host in its phase at once; last seen: ${seen}\n${(await up).stderr}`);
            const nodes = await ours();
            seen = nodes.map((n) => `${n.name}=${n.provision_state}`).join(", ");
            caught.clear();
            for (const [h, state] of Object.entries(PHASE_STATE)) {
                const n = nodes.find((x) => x.name === nodeName(h));
                if (n?.provision_state === state) caught.set(h, n);
            }
            if (caught.size < Object.keys(PHASE_STATE).length) await new Promise((r) => setTimeout(r, 250));
        }
        const before = await ours();
        expect(before.map((n) => n.name).sort()).to.deep.equal(["clean", "deploy", "enrol", "inspect", "quick"].map(nodeName));
        await killIronic(ironic);

        const failed = await up;
        expect(failed.code, "up must fail while Ironic is down").to.not.equal(0);
        const out = failed.stdout + failed.stderr;
        expect(out).to.contain("cannot reach Ironic");
        expect(out).to.not.contain("code must be a string");
        // The engine kept each failed host with its node id, its inputs and the provider.
        const { json } = await stack.exportState();
        for (const h of Object.keys(PHASE_STATE)) {
            const r = json.deployment.resources.find((x: any) => String(x.urn).endsWith(`::${h}-${tag}`));
            expect(r, `${h} in state`).to.not.equal(undefined);
            expect(r.id).to.equal(caught.get(h)!.uuid);
            expect(r.outputs.name).to.equal(`${h}-${tag}`);
            expect(r.outputs.__provider).to.be.a("string");
            expect(r.initErrors?.[0]).to.contain("cannot reach Ironic");
        }

        // Ironic back on the same state directory: the same port (recorded there), short delays now.
        await restartIronic(ironic, { power: "0", boot: "0", bios: "1", inspect: "1", deploy: "1" });
        const afterRestart = new Map((await ours()).map((n) => [n.name, n.provision_state]));
        process.stderr.write(`after restart: ${[...afterRestart].map(([n, s]) => `${n}=${s}`).join(", ")}\n`);

        const steps = await stack.previewSteps();
        for (const h of Object.keys(PHASE_STATE)) expect(steps.get(`${h}-${tag}`), `${h}: ${JSON.stringify([...steps])}`).to.equal("update");
        // `preview --json` lists unchanged resources as "same", or not at all.
        expect([undefined, "same"]).to.include(steps.get(`quick-${tag}`));
        const preview = await stack.must(["preview", "--diff"]);
        expect(preview.stdout + preview.stderr)
            .to.not.contain("WILL REPLACE")
            .and.to.not.match(/to replace/);

        const converged = await stack.must(["up", "--yes", "--skip-preview"]);
        const log = converged.stdout + converged.stderr;
        // Continued from where each node was: nothing undeployed, cleaned for a wipe or deleted.
        expect(log).to.not.match(/deprovision|deleting the Ironic node|WILL REPLACE/i);
        const after = await ours();
        expect(after.map((n) => `${n.name} ${n.uuid}`).sort()).to.deep.equal(before.map((n) => `${n.name} ${n.uuid}`).sort());
        const state = new Map(after.map((n) => [String(n.name).replace(`-${tag}`, "").replace("default~", ""), [n.provision_state, n.power_state]]));
        expect(Object.fromEntries(state)).to.deep.equal({
            quick: ["available", "power off"],
            enrol: ["available", "power off"],
            inspect: ["available", "power off"],
            clean: ["available", "power off"],
            deploy: ["active", "power on"],
        });
        expect(after.find((n) => n.name === nodeName("inspect"))!.inspection_finished_at, "inspection done after all").to.be.a("string");
        const outputs = await stack.outputs();
        expect([...outputs.uuids].sort()).to.deep.equal(before.map((n) => n.uuid).sort());
        expect(await stack.previewSteps().then((s) => [...s.values()].filter((op) => op !== "same"))).to.deep.equal([]);
    });
});
