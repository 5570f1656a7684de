// Faults campaign, the BMC: a real IPMI BMC (python3-pyghmi's fakebmc, local/bmc.ts) stopped
// while its host registers (Ironic verifies the credentials) and while the host powers on, then
// started again. The failure must name the host and Ironic's last_error; the next run converges.
import { expect } from "chai";
import type * as pulumi from "@pulumi/pulumi";
import { bmcPowerState, startBmcs } from "../../local/bmc";
import { IronicClient } from "../../provider/ironic";
import { bareMetalHostProvider as provider } from "../../sdk/baremetalhost";
import { startTestBmcs, TestBmcLab } from "../support/bmcs";
import { destroyPoolHosts, uniqueTag } from "../machine/pool";
import { census, expectDeclared, firstLine, recordRow, rejection, faultHostInputs } from "./campaign";

const NS = "faults";

describe("faults: a real IPMI BMC stopped mid-operation, then started again (handlers)", function () {
    this.timeout(600_000);
    let lab: TestBmcLab;
    let client: IronicClient;
    const tag = uniqueTag("fb");

    before(async () => {
        lab = await startTestBmcs(2);
        client = await IronicClient.connect({ url: process.env.IRONIC_URL, authType: "none" });
        await provider.configure({ config: { get: () => undefined } } as unknown as pulumi.dynamic.ConfigureRequest);
    });
    after(async () => {
        if (client) await destroyPoolHosts(client, (await census(client, tag)).raw);
        await lab?.stop();
        await client?.close();
    });

    const hostInputs = (i: number, what: string, online: boolean) => {
        const bmc = lab.bmcs[i];
        // Cipher suite 3: IPMI power changes in seconds, not half a minute.
        const address = `${bmc.address}?ciphersuite=3`;
        return faultHostInputs({
            tag,
            what,
            seq: i,
            macByte: "0e",
            stack: "faults/bmc",
            url: process.env.IRONIC_URL!,
            online,
            bmc: { address, username: bmc.username, password: bmc.password },
        });
    };
    /** The BMC's process back, on its recorded port with its recorded password. */
    const startAgain = () => startBmcs({ count: lab.bmcs.length, stateDir: lab.stateDir, log: (l) => process.stderr.write(`[faults-bmc] ${l}\n`) });

    it("BMC down while the host registers: the create fails with Ironic's last_error; BMC back, the next run registers the same node", async () => {
        const t0 = Date.now();
        const inputs = hostInputs(0, "register", false);
        await lab.stopOne(0);
        const err = await rejection(provider.create(inputs), "create with the BMC down");
        expect(err.message)
            .to.contain(`host ${NS}~${inputs.name}`)
            .and.to.match(/last_error: .*(IPMI|ipmitool|power|BMC)/i);
        expect(err.message).to.not.contain(lab.bmcs[0].password);
        expect(err.id, "the node stays in the state, so the next run continues on it").to.be.a("string");
        const before = await census(client, inputs.name);
        await startAgain();
        await provider.update(err.id!, err.properties!, inputs);
        const after = await expectDeclared(client, inputs.name, { [`${NS}~${inputs.name}`]: { provision: "available", power: "power off", uuid: err.id } });
        expect(bmcPowerState(lab.bmcs[0])).to.equal("off");
        recordRow("bmc", {
            group: "bmc",
            fault: "IPMI BMC (fakebmc) stopped, started again",
            moment: "registering (manage: Ironic verifies the BMC)",
            level: "handlers",
            operatorSaw: firstLine(err),
            recovery: "BMC started again; the next `up` (update) took the same node from `enroll` to `available`",
            before: { nodes: before.nodes, allocations: [] },
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });

    it("BMC down while the host powers on: the update fails with Ironic's last_error; BMC back, the next run powers it on", async () => {
        const t0 = Date.now();
        // Online applies to provisioned hosts (available ones wait powered off): an externally
        // provisioned host (adopted to active) is the one a BMC can power on without an agent here.
        const off = { ...hostInputs(1, "poweron", false), externallyProvisioned: true };
        const created = await provider.create(off);
        await lab.stopOne(1);
        const on: Record<string, any> = { ...off, online: true };
        const err = await rejection(provider.update(created.id, created.outs!, on), "power on with the BMC down");
        expect(err.message)
            .to.contain(`host ${NS}~${on.name}`)
            .and.to.match(/last_error: .*(IPMI|ipmitool|power|BMC)/i);
        const before = await census(client, on.name);
        await startAgain();
        // The engine kept the old state (the update failed): the next `up` runs the same update.
        await provider.update(created.id, created.outs!, on);
        const after = await expectDeclared(client, on.name, { [`${NS}~${on.name}`]: { provision: "active", power: "power on", uuid: created.id } });
        expect(bmcPowerState(lab.bmcs[1])).to.equal("on");
        recordRow("bmc", {
            group: "bmc",
            fault: "IPMI BMC (fakebmc) stopped, started again",
            moment: "powering on (update online: true)",
            level: "handlers",
            operatorSaw: firstLine(err),
            recovery: "BMC started again; the next `up` (the same update) powered the same node on",
            before: { nodes: before.nodes, allocations: [] },
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });
});
