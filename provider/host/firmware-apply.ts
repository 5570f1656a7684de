// Carries out the `configure-firmware` step the lifecycle chose (lifecycle.ts, firmware.ts):
// Ironic's bios.apply_configuration by manual cleaning (manageable, no agent: disable_ramdisk) or
// by servicing (active, API 1.87: the node stays active and keeps its disk), then records the
// settings' fingerprint on the node. The Ironic calls only; what and when is decided elsewhere.
import type { IronicClient } from "../ironic";
import type { Node } from "../ironic/types";
import { EXTRA } from "../extra-keys";
import { firmwareSteps, type FirmwarePlan } from "./firmware";

export async function applyFirmware(
    c: IronicClient,
    uuid: string,
    plan: FirmwarePlan,
    via: "clean" | "service",
    log: (m: string) => void,
    waitDone: (label: string) => Promise<Node>,
    biosInterface?: string | null,
): Promise<Node> {
    const names = Object.keys(plan.settings).join(", ");
    if (via === "service") {
        const label = `servicing (firmware settings ${names}; no wipe, the host reboots)`;
        log(label);
        await c.service(uuid, firmwareSteps(plan));
        await waitDone(label);
    } else {
        const label = `manual cleaning (firmware settings ${names}; no agent, the host reboots)`;
        log(label);
        // Redfish's step needs no ramdisk (requires_ramdisk=False, ironic/drivers/modules/redfish/bios.py):
        // no agent is booted. Ironic's fake BIOS declares its step with the default (requires a
        // ramdisk, ironic/drivers/modules/fake.py) and is refused with disable_ramdisk; its fake
        // deploy boots nothing anyway.
        await c.setProvisionState(uuid, "clean", { cleanSteps: firmwareSteps(plan), ...(biosInterface === "fake" ? {} : { disableRamdisk: true }) });
        await waitDone(label);
    }
    return c.patchNode(uuid, [{ op: "add", path: `/extra/${EXTRA.firmware}`, value: plan.fingerprint }]);
}
