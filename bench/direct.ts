// What the benchmarks' direct drivers share: a fake-hardware node as a user would enrol it with
// the API alone, and the count of API requests in Ironic's own log (nothing self-reported).
import * as fs from "fs";
import type { IronicClient } from "../provider/ironic";
import type { Node } from "../provider/ironic";

/** A fake-hardware node with every fake interface and a port: the direct drivers' "enrol". */
export async function enrolFakeNode(client: IronicClient, name: string, mac: string): Promise<Node> {
  const node = await client.createNode({
    name,
    driver: "fake-hardware",
    boot_interface: "fake",
    deploy_interface: "fake",
    inspect_interface: "fake",
    management_interface: "fake",
    power_interface: "fake",
    resource_class: "baremetal",
  } as never);
  // Under load a POST may be answered late and repeated by the client: a 409 for our own port is success.
  await client.createPort({ node_uuid: node.uuid, address: mac }).catch(async (e: { status?: number }) => {
    if (e.status !== 409 || !(await client.listPorts({ node: node.uuid })).some((p) => p.address === mac)) throw e;
  });
  return node;
}

/** API requests Ironic has logged so far (its eventlet.wsgi.server lines). */
export function requestLines(logFile: string): number {
  const text = fs.readFileSync(logFile, "utf8");
  return (text.match(/eventlet\.wsgi\.server .*"(GET|POST|PATCH|PUT|DELETE) \/v1/g) ?? []).length;
}
