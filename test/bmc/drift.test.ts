// issue 20, against the real Ironic: the BMC a node's driver_info points at is compared with the
// declared one on every read and converge (an out-of-band change of ipmi_address would have Ironic
// send the BMC password elsewhere), and a BMC CA certificate (bmc.caFile → redfish_verify_ca)
// survives re-registration instead of being removed with the other BMC keys.
import { expect } from "chai";
import type * as pulumi from "@pulumi/pulumi";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { bareMetalHostProvider } from "../../sdk/baremetalhost";
import { enrolNode } from "../../provider/host/converge";
import { hostSpecFromInputs, newDigestKey, PlainHostInputs } from "../../provider/host/desired";
import { registrationPatch } from "../../provider/host/registration";
import { bmcDrift } from "../../provider/host/bmc";
import { startTestBmcs, TestBmcLab } from "../support/bmcs";

const provider = bareMetalHostProvider;
const tag = `drift-${process.pid % 1000}-${Date.now() % 100000}`;

describe("BMC drift and the BMC CA certificate, against the real Ironic", function () {
    this.timeout(600_000);
    let lab: TestBmcLab;
    let client: IronicClient;
    const nodes: string[] = [];

    before(async () => {
        lab = await startTestBmcs(1);
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        await provider.configure({ config: { get: () => undefined } } as unknown as pulumi.dynamic.ConfigureRequest);
    });
    after(async () => {
        for (const id of nodes) {
            const n = await client.findNode(id);
            if (!n) continue;
            if (!n.maintenance) await client.setMaintenance(id, "test clean-up").catch(() => undefined);
            await client.deleteNode(id).catch(() => undefined);
        }
        await client?.close();
        await lab?.stop();
    });

    it("ipmi_address changed out of band: read reports it as the BMC address, update puts the declared one back", async () => {
        const bmc = lab.bmcs[0];
        const inputs = {
            name: `${tag}-ipmi`,
            bmc: { address: `${bmc.address}?ciphersuite=3`, username: bmc.username, password: bmc.password },
            bootMACAddress: `52:54:0c:${(process.pid % 256).toString(16).padStart(2, "0")}:00:01`,
            online: false,
            inspectionMode: "disabled",
            automatedCleaningMode: "disabled",
        };
        const created = await provider.create(inputs);
        nodes.push(created.id);
        const declaredHost = (await client.getNode(created.id)).driver_info.ipmi_address;
        expect(declaredHost).to.equal("127.0.0.1");

        // Someone points the node at another BMC (any loopback address serves as "elsewhere").
        await client.patchNode(created.id, [{ op: "add", path: "/driver_info/ipmi_address", value: "127.0.0.9" }]);
        const seen = await provider.read!(created.id, created.outs);
        const port = new URL(bmc.address).port;
        expect(seen.props!.bmc.address).to.equal(`ipmi://127.0.0.9:${port}?ciphersuite=3`);
        expect((seen.inputs as { bmc: { address: string } }).bmc.address).to.equal(`ipmi://127.0.0.9:${port}?ciphersuite=3`);

        const logs: string[] = [];
        const write = process.stderr.write.bind(process.stderr);
        (process.stderr as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]) => {
            logs.push(String(chunk));
            return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
        };
        try {
            await provider.update!(created.id, created.outs, inputs);
        } finally {
            (process.stderr as { write: unknown }).write = write;
        }
        const back: Node = await client.getNode(created.id);
        expect(back.driver_info.ipmi_address).to.equal("127.0.0.1");
        expect(logs.join("")).to.match(/BMC settings were changed outside pulumi-metal3 \(ipmi_address: 127\.0\.0\.9 \(declared 127\.0\.0\.1\)\)/);
        const again = await provider.read!(created.id, created.outs);
        expect(again.props!.bmc.address).to.equal(inputs.bmc.address);
    });

    it("bmc.caFile is set as redfish_verify_ca, kept through re-registration (a credential change), and put back when changed by hand", async () => {
        const base = {
            name: `${tag}-redfish`,
            bmc: { address: "redfish+https://127.0.0.1:1/redfish/v1/Systems/1", username: "admin", password: "one", caFile: "/etc/ironic/bmc-ca.pem" },
            online: false,
            inspectionMode: "disabled",
            bootMACAddress: "52:54:0c:00:00:02",
        };
        const specOf = (i: object) => hostSpecFromInputs(i as PlainHostInputs, { apiVersion: client.apiVersion, digestKey: newDigestKey() });
        const node = await enrolNode(client, specOf(base));
        nodes.push(node.uuid);
        expect((await client.getNode(node.uuid)).driver_info.redfish_verify_ca).to.equal("/etc/ironic/bmc-ca.pem");

        // New credentials: the BMC keys are rewritten, the CA with them.
        const changed = specOf({ ...base, bmc: { ...base.bmc, password: "two" } });
        await client.patchNode(node.uuid, registrationPatch(changed, await client.getNode(node.uuid)));
        expect((await client.getNode(node.uuid)).driver_info.redfish_verify_ca).to.equal("/etc/ironic/bmc-ca.pem");

        // Verification turned off by hand: drift, and the declared CA goes back.
        await client.patchNode(node.uuid, [{ op: "add", path: "/driver_info/redfish_verify_ca", value: false }]);
        const off = await client.getNode(node.uuid);
        expect(bmcDrift(changed.bmc, off.driver_info)).to.deep.equal(["redfish_verify_ca: false (declared /etc/ironic/bmc-ca.pem)"]);
        await client.patchNode(node.uuid, registrationPatch(changed, off));
        const fixed = await client.getNode(node.uuid);
        expect(fixed.driver_info.redfish_verify_ca).to.equal("/etc/ironic/bmc-ca.pem");
        expect(bmcDrift(changed.bmc, fixed.driver_info)).to.deep.equal([]);
    });
});
