// The hardware-type check before enrolling, against a real Ironic that does not offer every type:
// an Ironic started with only fake-hardware and ipmi (every scheme the product knows maps to a
// type the suite's own Ironic loads, so a restricted one is the honest way to see the refusal).
// Ironic's "No conductor service registered which supports driver X" must become an error naming
// the host, the missing type and the offered ones, and no node may be left behind.
import { expect } from "chai";
import type * as pulumi from "@pulumi/pulumi";
import { IronicClient } from "../../provider/ironic";
import { bareMetalHostProvider } from "../../sdk/baremetalhost";
import { startExtraIronic } from "../support/hooks";

const provider = bareMetalHostProvider;
const OFFERED = ["fake-hardware", "ipmi"];

describe("hardware type not offered by Ironic (restricted enabled_hardware_types)", function () {
    this.timeout(300_000);
    let url: string;
    let client: IronicClient;

    before(async function () {
        this.timeout(180_000);
        url = (await startExtraIronic({ hardwareTypes: OFFERED })).url;
        client = await IronicClient.connect({ url, authType: "none" });
        await provider.configure({ config: { get: () => undefined } } as unknown as pulumi.dynamic.ConfigureRequest);
    });
    after(async () => {
        await client?.close();
    });

    it("this Ironic really offers only the restricted types (GET /v1/drivers)", async () => {
        const answer = (await client.request("GET", "/v1/drivers")) as { drivers: { name: string }[] };
        expect(answer.drivers.map((d) => d.name).sort()).to.deep.equal(OFFERED);
    });

    for (const { scheme, driver } of [
        { scheme: "redfish", driver: "redfish" },
        { scheme: "idrac-virtualmedia", driver: "idrac" },
    ]) {
        it(`a ${scheme}:// host fails its create with the offered types named, and leaves no node`, async () => {
            const before = (await client.listNodes()).map((n) => n.uuid).sort();
            const name = `no-${driver}-${process.pid % 1000}-${Date.now() % 100000}`;
            const inputs = {
                name,
                bmc: { address: `${scheme}://127.0.0.1:9/redfish/v1/Systems/1`, username: "admin", password: "lab-secret-pw" },
                bootMACAddress: "52:54:0c:00:00:01",
                online: false,
                automatedCleaningMode: "disabled",
                ironic: { url, authType: "none" },
            };
            let err: Error | undefined;
            const started = Date.now();
            try {
                const created = await provider.create(inputs);
                // Should not happen; clean up so the suite does not leak a node.
                await provider.delete(created.id, created.outs).catch(() => undefined);
            } catch (e) {
                err = e as Error;
            }
            expect(err, "create must fail: Ironic has no such hardware type").to.be.instanceOf(Error);
            const message = err!.message;
            expect(message).to.include(`host default~${name}`);
            expect(message).to.include(`no hardware type "${driver}"`);
            expect(message).to.include(`${scheme}://`);
            expect(message).to.include(`it offers: ${OFFERED.join(", ")}`);
            expect(message).to.match(/enabled_hardware_types/);
            expect(message).to.match(/No conductor service registered which supports driver/);
            expect(message).to.not.include("lab-secret-pw");
            expect(Date.now() - started, "refused at enrol, not after a wait").to.be.lessThan(30_000);
            expect((await client.listNodes()).map((n) => n.uuid).sort()).to.deep.equal(before);
            expect(await client.findNode(name)).to.equal(undefined);
        });
    }
});
