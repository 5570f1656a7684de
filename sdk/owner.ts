// Who declares a resource: `<project>/<stack>` of the running program. Machines record it on
// their claims (allocation extra), BareMetalHosts on their Ironic nodes (node extra), so that a
// node or claim is only ever reused or taken over by the stack that made it.
import * as pulumi from "@pulumi/pulumi";

export function stackOwner(): string {
    return `${pulumi.getProject()}/${pulumi.getStack()}`;
}
