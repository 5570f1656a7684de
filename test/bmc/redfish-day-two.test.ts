// The soft power-off's fall-back to hard (powerOffMode: soft), through the real Ironic's redfish
// hardware type and sushy-tools' Redfish emulator (the run's shared one, test/support/redfish.ts).
// The emulator applies every power change 1–11 s after it is asked (upstream fakedriver.py
// set_power_state: `apply_time = int(time.time()) + random.randint(1, 11)`), so a soft power-off
// given timeouts.softPowerOff "1s" is almost always not done in time: Ironic reports the timeout,
// and the provider powers the host off hard, saying so. Whether one attempt lands inside the
// second is chance (upstream's delay), so a few reboots are asked until one shows the fall-back;
// each must end with the host back on and active.
import { expect } from "chai";
import { redfishAddress, redfishPowerState } from "../../local/redfish";
import { sleep } from "../../local/proc";
import { IronicClient } from "../../provider/ironic";
import { EXTRA } from "../../provider/host/lifecycle";
import { create, remove, update } from "../../sdk/providers/host";
import { captureLogger } from "../support/capture-logger";
import { sharedRedfishLab } from "../support/redfish";

describe("powerOffMode soft on a Redfish BMC: the fall-back to a hard power-off", function () {
    this.timeout(900_000);
    let client: IronicClient;
    let nodeId: string | undefined;
    let last: Record<string, unknown> | undefined;
    const stack = () => ({ url: process.env.IRONIC_URL });

    before(async () => {
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
    });
    after(async () => {
        if (nodeId && last) await remove(nodeId, last, stack(), undefined, captureLogger()).catch(() => undefined);
        await client?.close();
    });

    it("a reboot whose soft power-off is not done within softPowerOff: powered off hard (the log says so), then on; no provision state change", async () => {
        const lab = await sharedRedfishLab("http");
        const [system] = lab.takeSystems(1);
        const host: Record<string, unknown> = {
            name: `day2-redfish-${process.pid % 1000}-${Date.now() % 100000}`,
            bmc: { address: redfishAddress(lab.lab, system), username: "admin", password: lab.lab.password },
            bootMACAddress: system.mac,
            online: true,
            // Adopted as it is: the emulator's fake systems run nothing a deploy could put there.
            externallyProvisioned: true,
            inspectionMode: "disabled",
            automatedCleaningMode: "disabled",
            powerOffMode: "soft",
            rebootRequest: "r0",
            timeouts: { softPowerOff: "1s" },
        };
        const made = await create(host, stack(), undefined, undefined, captureLogger());
        nodeId = made.id;
        last = made.outs;
        const provisioned = (await client.getNode(nodeId)).provision_updated_at;
        expect((await client.getNode(nodeId)).provision_state).to.equal("active");

        let fellBack = "";
        for (let i = 1; i <= 5 && !fellBack; i++) {
            const log = captureLogger();
            const r = await update(nodeId, last!, { ...host, rebootRequest: `r${i}` }, stack(), undefined, undefined, log);
            last = r.outs;
            const node = await client.getNode(nodeId);
            expect(node.provision_state).to.equal("active");
            expect(node.power_state).to.equal("power on");
            expect(node.extra[EXTRA.reboot]).to.equal(`r${i}`);
            const line = log
                .text()
                .split("\n")
                .find((l) => l.includes("soft power off did not complete within 1s"));
            if (line) fellBack = line;
            process.stderr.write(`[redfish-day-two] reboot r${i}: ${line ?? "soft power-off done in time (no fall-back)"}\n`);
        }
        expect(fellBack, "one of five soft power-offs fell back to hard").to.match(
            /soft power off did not complete within 1s \(.+\): falling back to a hard power off/,
        );
        expect((await client.getNode(nodeId)).provision_updated_at, "no provision state change").to.equal(provisioned);
        // The emulator itself ends on (its last pending change is the power-on).
        for (let t = 0; t < 15 && (await redfishPowerState(lab.lab, system)) !== "On"; t++) await sleep(1000);
        expect(await redfishPowerState(lab.lab, system)).to.equal("On");
    });
});
