// The Go SDK of the metal3 package (sdk-go/), generated from schema.json by Pulumi's own Go code
// generator (pkg/v3/codegen/go at the engine's version) through a small Go program,
// local/toolchain/gosdk/main.go, built once per machine and cached like the toolchain's recipes
// (the Go build cache already holds pkg/v3 from the `pulumi` recipe, so the cold build is short).
//
//   npm run sdk:go              regenerate sdk-go/metal3 from schema.json
//
// sdk-go/ is committed so that Go programs can `go get` it; test/plugin/gosdk.test.ts fails when
// it is stale and compiles it.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { ensureBuilt, installedPath, Logger, PULUMI_VERSION, pulumiWrapperGoMod, Recipe, repoRoot, runGo, writeIfChanged } from "../toolchain";

/** The committed SDK: a Go module holding package `metal3` (schema language.go.importBasePath). */
export const GO_SDK_DIR = "sdk-go";

/**
 * Builds (once per machine, cached like the toolchain's recipes) the small Go program
 * local/toolchain/<dir>/main.go that runs one of Pulumi's code generators, and runs it on
 * `schemaFile` into a fresh directory, which it returns. Versioned by the engine's pkg/v3 and the
 * program's own text, so an edit rebuilds it. Serves the Go SDK (gosdk/, `gen-go-sdk`) and the
 * Python SDK (pysdk/, `gen-python-sdk`, local/toolchain/pysdk.ts).
 */
export async function generateSdk(
    generator: { name: string; dir: string },
    schemaFile: string,
    log: Logger = (l) => process.stderr.write(l + "\n"),
): Promise<string> {
    const source = fs.readFileSync(path.join(repoRoot(), "local", "toolchain", generator.dir, "main.go"), "utf8");
    const recipe: Recipe = {
        name: generator.name,
        version: `v${PULUMI_VERSION}-${crypto.createHash("sha256").update(source).digest("hex").slice(0, 8)}`,
        async build({ workDir, logFile }) {
            writeIfChanged(path.join(workDir, "main.go"), source);
            writeIfChanged(path.join(workDir, "go.mod"), pulumiWrapperGoMod(generator.name, [], []));
            await runGo(["mod", "tidy"], workDir, logFile);
            await runGo(["build", "-trimpath", "-tags", "osusergo,grpcnotrace", "-ldflags", "-w -s", "-o", `out/${generator.name}`, "."], workDir, logFile);
        },
    };
    await ensureBuilt(recipe, log);
    const program = installedPath(recipe.name, recipe.version);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), `metal3-${generator.dir}-`));
    const r = spawnSync(program, [schemaFile, out], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${program} ${schemaFile} failed (${r.status}): ${r.stderr || r.error?.message}`);
    return out;
}

/** Generates the Go SDK of `schemaFile` into a fresh directory (its `metal3/` package); returns that directory. */
export async function generateGoSdk(schemaFile = path.join(repoRoot(), "schema.json"), log?: Logger): Promise<string> {
    return generateSdk({ name: "gen-go-sdk", dir: "gosdk" }, schemaFile, log);
}

/** Files under dir, relative, sorted. */
export function listFiles(dir: string, base = dir): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name))]))
        .sort();
}

/** `npm run sdk:go`: replaces sdk-go/metal3 with what the generator makes of schema.json. */
async function main(): Promise<void> {
    const generated = await generateGoSdk();
    const target = path.join(repoRoot(), GO_SDK_DIR);
    for (const pkgDir of fs.readdirSync(generated)) {
        fs.rmSync(path.join(target, pkgDir), { recursive: true, force: true });
        fs.cpSync(path.join(generated, pkgDir), path.join(target, pkgDir), { recursive: true });
    }
    fs.rmSync(generated, { recursive: true, force: true });
    process.stderr.write(`sdk:go: ${listFiles(target).length} files in ${target}\n`);
}

if (require.main === module) {
    main().catch((err) => {
        process.stderr.write(`sdk:go: ${(err as Error).message}\n`);
        process.exit(1);
    });
}
