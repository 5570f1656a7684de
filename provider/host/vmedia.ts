// Attaching and ejecting a data image (data-image.ts) through Ironic's virtual media API, as
// baremetal-operator's AttachDataImage / DetachDataImage (pkg/provisioner/ironic/ironic.go) with
// device type cdrom. Ironic accepts the request at once and does it in a conductor worker that
// holds the node's lock (ironic/conductor/manager.py attach_virtual_media); a failure ends in the
// node's last_error. So each call here waits for the lock to go, reads last_error, and checks the
// BMC's own report (GET vmedia) before the node records the result. converge.ts calls it.
import type { IronicClient } from "../ironic";
import { IronicError } from "../ironic";
import type { Node } from "../ironic/types";
import { cdInserted, DATA_IMAGE_DEVICE, FORGET_DATA_IMAGE, recordDataImageOps } from "./data-image";

export interface VmediaOptions {
    /** How long Ironic may hold the node for the attach or eject (ms). */
    timeoutMs: number;
}

const POLL_MS = 1_000;

/** The node once Ironic's worker let go of it (no reservation). */
async function whenUnlocked(client: IronicClient, uuid: string, what: string, opts: VmediaOptions): Promise<Node> {
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
        const node = await client.getNode(uuid);
        if (!node.reservation) return node;
        if (Date.now() > deadline)
            throw new IronicError(`${what}: Ironic still holds node ${uuid} (reservation ${node.reservation}) after ${Math.round(opts.timeoutMs / 1000)}s`, {
                operation: what,
            });
        await new Promise((r) => setTimeout(r, POLL_MS));
    }
}

/** Inserts `url` in the node's virtual CD and records it; throws with Ironic's last_error when the BMC did not take it. */
export async function attachDataImage(client: IronicClient, uuid: string, url: string, opts: VmediaOptions): Promise<Node> {
    const what = `attach data image ${url} to node ${uuid}`;
    await client.attachVirtualMedia(uuid, { device_type: DATA_IMAGE_DEVICE, image_url: url });
    const node = await whenUnlocked(client, uuid, what, opts);
    if (node.last_error) throw new IronicError(`${what} failed: ${node.last_error}`, { operation: what, lastError: node.last_error });
    const cd = cdInserted(await client.getVirtualMedia(uuid));
    if (!cd) throw new IronicError(`${what}: Ironic reported no error, but the BMC shows no image inserted in its virtual CD`, { operation: what });
    return client.patchNode(uuid, recordDataImageOps(url));
}

/** Ejects the node's virtual CD and removes the record; throws with Ironic's last_error when the BMC kept it. */
export async function detachDataImage(client: IronicClient, uuid: string, url: string, opts: VmediaOptions): Promise<Node> {
    const what = `eject data image ${url} from node ${uuid}`;
    await client.detachVirtualMedia(uuid, [DATA_IMAGE_DEVICE]);
    const node = await whenUnlocked(client, uuid, what, opts);
    if (node.last_error) throw new IronicError(`${what} failed: ${node.last_error}`, { operation: what, lastError: node.last_error });
    const cd = cdInserted(await client.getVirtualMedia(uuid));
    if (cd) throw new IronicError(`${what}: Ironic reported no error, but the BMC still shows ${cd.image ?? "an image"} inserted`, { operation: what });
    return client.patchNode(uuid, FORGET_DATA_IMAGE);
}
