// Reboots and soft power-offs through Ironic's power API, as baremetal-operator does them
// (pkg/provisioner/ironic/ironic.go: PowerOff with RebootModeSoft tries Ironic's "soft power off"
// with a timeout and falls back to a hard "power off" when the BMC does not support it or the
// host does not go off). The one place these multi-call power changes live; converge.ts calls it.
import type { IronicClient } from "../ironic";
import { IronicError } from "../ironic";
import type { Node } from "../ironic/types";

export interface PowerOptions {
    /** How long a soft power-off may take before the hard one (ms). */
    softMs: number;
    /** Deadline of each wait for a power state (ms). */
    timeoutMs: number;
    log: (msg: string) => void;
}

/** Ironic waits this long past our soft deadline before we judge its answer (its own poll interval). */
const SOFT_MARGIN_MS = 15_000;

/**
 * Powers the node off: soft first (ACPI shutdown), hard when the soft one is refused or the host
 * has not gone off within `softMs` — said in the log with Ironic's reason.
 */
export async function powerOffNode(client: IronicClient, uuid: string, opts: PowerOptions): Promise<Node> {
    const softS = Math.max(1, Math.round(opts.softMs / 1000));
    let why: string;
    try {
        await client.setPowerState(uuid, "soft power off", { timeoutS: softS });
        return await client.waitForPowerState(uuid, "power off", { timeoutMs: opts.softMs + SOFT_MARGIN_MS, label: "soft power off" });
    } catch (e) {
        if (!(e instanceof IronicError)) throw e;
        why = e.lastError ?? e.faultstring ?? e.message;
    }
    opts.log(`soft power off did not complete within ${softS}s (${why}): falling back to a hard power off`);
    // Ironic may still be at its soft attempt; a hard request then meets a 409 "locked" and is retried by the client.
    await client.setPowerState(uuid, "power off");
    return client.waitForPowerState(uuid, "power off", { timeoutMs: opts.timeoutMs, label: "power off (after the soft one)" });
}

/**
 * Reboots a running node without any provision state change. Hard: Ironic's "rebooting" (power
 * off, then on). Soft: a soft power-off (hard after `softMs`, powerOffNode), then power on: the
 * same as Ironic's "soft rebooting", with BMO's fall-back to hard that Ironic's own lacks.
 */
export async function rebootNode(client: IronicClient, uuid: string, mode: "soft" | "hard", opts: PowerOptions): Promise<Node> {
    if (mode === "hard") {
        await client.setPowerState(uuid, "rebooting");
        return client.waitForPowerState(uuid, "power on", { timeoutMs: opts.timeoutMs, label: "rebooting" });
    }
    await powerOffNode(client, uuid, opts);
    await client.setPowerState(uuid, "power on");
    return client.waitForPowerState(uuid, "power on", { timeoutMs: opts.timeoutMs, label: "power on (soft reboot)" });
}
