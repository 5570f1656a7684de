// The Go SDK (sdk-go/, committed): what Pulumi's own Go code generator makes of schema.json today
// (stale → fail), and it compiles against github.com/pulumi/pulumi/sdk/v3 at the engine's version.
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { generateGoSdk, GO_SDK_DIR, listFiles } from "../../local/toolchain/gosdk";
import { REPO } from "./project";

/** The files the generator owns (go.mod / go.sum are the module's, written by hand and `go mod tidy`). */
const generatedFiles = (dir: string) => listFiles(dir).filter((f) => f !== "go.mod" && f !== "go.sum");

describe("Go SDK (sdk-go/)", function () {
    this.timeout(900_000);
    const committed = path.join(REPO, GO_SDK_DIR);

    it("is what pkg/v3/codegen/go generates from schema.json (else: npm run sdk:go)", async () => {
        const fresh = await generateGoSdk(path.join(REPO, "schema.json"));
        try {
            expect(generatedFiles(committed), "sdk-go's files (npm run sdk:go regenerates them)").to.deep.equal(generatedFiles(fresh));
            const stale = generatedFiles(fresh).filter((f) => !fs.readFileSync(path.join(fresh, f)).equals(fs.readFileSync(path.join(committed, f))));
            expect(stale, "stale files in sdk-go: run npm run sdk:go").to.deep.equal([]);
            // Both resources and the provider's config, as Go types.
            const host = fs.readFileSync(path.join(fresh, "metal3", "bareMetalHost.go"), "utf8");
            expect(host).to.contain("func NewBareMetalHost(ctx *pulumi.Context");
            expect(host).to.contain(`"metal3:index:BareMetalHost"`);
            expect(fs.readFileSync(path.join(fresh, "metal3", "machine.go"), "utf8")).to.contain("func NewMachine(ctx *pulumi.Context");
            expect(fs.readFileSync(path.join(fresh, "metal3", "config", "config.go"), "utf8")).to.contain("func GetIronicUrl(ctx *pulumi.Context)");
        } finally {
            fs.rmSync(fresh, { recursive: true, force: true });
        }
    });

    it("compiles (go build ./..., against pulumi/sdk/v3 v3.248.0)", () => {
        const goMod = fs.readFileSync(path.join(committed, "go.mod"), "utf8");
        expect(goMod).to.match(/github\.com\/pulumi\/pulumi\/sdk\/v3 v3\.248\.0/);
        // The `pulumi` recipe's flags (local/toolchain.ts), so its Go build cache serves sdk/v3: a
        // build with other flags (or `go vet`) recompiles sdk/v3 and its dependencies, ~10 min here.
        const env = { ...process.env, GOFLAGS: "-buildvcs=false -mod=readonly", CGO_ENABLED: "0" };
        const args = ["build", "-trimpath", "-tags", "osusergo,grpcnotrace", "./..."];
        const r = spawnSync("go", args, { cwd: committed, env, encoding: "utf8" });
        expect(r.status, `go ${args.join(" ")} in ${committed}:\n${r.stdout}${r.stderr}`).to.equal(0);
    });
});
