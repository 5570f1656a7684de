// Go programs through pulumi-resource-metal3: examples/go (two hosts and a Machine, written against
// the generated SDK, sdk-go/) with the real engine, our Go language host
// (local/toolchain/go-host.ts: `go build`, then the binary with the PULUMI_* environment) and the
// suite's Ironic. The same stack as examples/yaml (yaml.test.ts) and examples/python (python.test.ts).
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { IronicClient } from "../../provider/ironic";
import { ensureToolchain } from "../../local/toolchain";
import { PluginProject, REPO } from "./project";
import { configureExampleStack, isSecret, runExampleLifecycle } from "./example-stack";

/**
 * A copy of examples/go under .state/ (two levels below the repo, so `../../bin` finds the plugin
 * and go.mod's `../../sdk-go` the SDK); `main` replaces main.go when given.
 */
function goProject(name: string, binDir: string, main?: string): PluginProject {
    fs.mkdirSync(path.join(REPO, ".state"), { recursive: true });
    const dir = fs.mkdtempSync(path.join(REPO, ".state", `${name}-`));
    const example = path.join(REPO, "examples", "go");
    for (const file of ["Pulumi.yaml", "go.mod", "go.sum"]) fs.copyFileSync(path.join(example, file), path.join(dir, file));
    fs.writeFileSync(path.join(dir, "main.go"), main ?? fs.readFileSync(path.join(example, "main.go")));
    const p = new PluginProject(dir, binDir);
    // go.mod/go.sum as committed (a stale one fails), and the flags sdk-go's compile test uses
    // (gosdk.test.ts), so Go's build cache already holds the SDK's dependencies.
    Object.assign(p.env, { GOFLAGS: "-buildvcs=false -mod=readonly -trimpath -tags=osusergo,grpcnotrace", CGO_ENABLED: "0" });
    return p;
}

describe("Go programs through the plugin", function () {
    this.timeout(900_000);
    let binDir: string;
    let client: IronicClient;
    const tag = `${process.pid.toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;

    before(async () => {
        binDir = (await ensureToolchain({ skipKubeApiserver: true })).binDir;
        expect(fs.existsSync(path.join(binDir, "pulumi-language-go")), "the toolchain installs our pulumi-language-go").to.equal(true);
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
    });
    after(async () => {
        await client?.close();
    });

    /** Ironic's nodes of one namespace (`<ns>~<name>`). */
    async function nodesOf(ns: string) {
        return (await client.listNodes()).filter((n) => String(n.name).startsWith(`${ns}~`));
    }

    describe("examples/go", () => {
        let p: PluginProject;
        const ns = `go-${tag}`;
        const BMC_PW = "go-bmc-pw-do-not-leak";
        before(async () => {
            p = goProject("go-example", binDir);
            await configureExampleStack(p, ns, BMC_PW);
        });
        after(async () => {
            if (p) await p.run(["destroy", "--yes"]);
        });

        it("preview, up (hosts enrolled, the Machine deployed on one), refresh with no drift, destroy; the BMC password secret in state", async () => {
            await runExampleLifecycle(p, () => nodesOf(ns), BMC_PW, {
                labels: true,
                host: (host) => expect(isSecret(host.inputs.bmc.password), JSON.stringify(host.inputs.bmc)).to.equal(true),
            });
        });
    });

    describe("a failing Go program", () => {
        it("a compile error fails the preview with go build's message", async () => {
            const p = goProject("go-broken", binDir, "package main\n\nfunc main() {\n\tundefinedCall()\n}\n");
            await p.must(["stack", "init", "dev"]);
            const r = await p.run(["preview"]);
            expect(r.code, r.out).to.not.equal(0);
            expect(r.out).to.match(/go build in .* failed/);
            expect(r.out).to.contain("undefined: undefinedCall");
        });

        it("bad input is rejected at preview naming the property, before Ironic is touched", async () => {
            const ns = `go-bad-${tag}`;
            const program = `package main

import (
	"github.com/pulumi-metal3/pulumi-metal3/sdk-go/metal3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		_, err := metal3.NewBareMetalHost(ctx, "bad-0", &metal3.BareMetalHostArgs{
			Namespace:      pulumi.String("${ns}"),
			Bmc:            metal3.BareMetalHostBmcArgs{Address: pulumi.String("fake://bad")},
			BootMACAddress: pulumi.String("not-a-mac"),
			Online:         pulumi.Bool(false),
		})
		return err
	})
}
`;
            const p = goProject("go-bad", binDir, program);
            await p.must(["stack", "init", "dev"]);
            await p.must(["config", "set", "metal3:ironicUrl", process.env.IRONIC_URL!]);
            const r = await p.run(["preview"]);
            expect(r.code, r.out).to.not.equal(0);
            expect(r.out).to.match(/bootMACAddress/);
            expect(await nodesOf(ns)).to.have.length(0);
        });
    });
});
