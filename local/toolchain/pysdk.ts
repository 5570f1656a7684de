// The Python SDK of the metal3 package (sdk-python/), generated from schema.json by Pulumi's own
// Python code generator (pkg/v3/codegen/python at the engine's version) through a small Go program,
// local/toolchain/pysdk/main.go, built once per machine and cached like gen-go-sdk
// (local/toolchain/gosdk.ts; the Go build cache already holds pkg/v3 from the `pulumi` recipe).
//
//   npm run sdk:python          regenerate sdk-python/ from schema.json
//
// sdk-python/ is committed so that Python programs can `pip install` it (local/python-venv.ts does);
// test/plugin/pysdk.test.ts fails when it is stale.
import * as fs from "fs";
import * as path from "path";
import { Logger, repoRoot } from "../toolchain";
import { generateSdk, listFiles } from "./gosdk";

/** The committed SDK: setup.py and the `pulumi_metal3` package (schema language.python.packageName). */
export const PYTHON_SDK_DIR = "sdk-python";

/**
 * The SDK's own files under dir, relative, sorted: without what building it leaves behind (`pip
 * install sdk-python` builds in place), which the generated .gitignore lists: build/, dist/,
 * *.egg-info, __pycache__, *.pyc, .mypy_cache.
 */
export function pythonSdkFiles(dir: string): string[] {
    const leftover = /(^|\/)(build|dist|__pycache__|\.mypy_cache|[^/]+\.egg-info)\/|\.pyc$/;
    return listFiles(dir).filter((f) => !leftover.test(f));
}

/** Generates the Python SDK of `schemaFile` into a fresh directory; returns that directory. */
export async function generatePythonSdk(schemaFile = path.join(repoRoot(), "schema.json"), log?: Logger): Promise<string> {
    return generateSdk({ name: "gen-python-sdk", dir: "pysdk" }, schemaFile, log);
}

/** `npm run sdk:python`: replaces sdk-python/ with what the generator makes of schema.json. */
async function main(): Promise<void> {
    const generated = await generatePythonSdk();
    const target = path.join(repoRoot(), PYTHON_SDK_DIR);
    fs.rmSync(target, { recursive: true, force: true });
    fs.cpSync(generated, target, { recursive: true });
    fs.rmSync(generated, { recursive: true, force: true });
    process.stderr.write(`sdk:python: ${pythonSdkFiles(target).length} files in ${target}\n`);
}

if (require.main === module) {
    main().catch((err) => {
        process.stderr.write(`sdk:python: ${(err as Error).message}\n`);
        process.exit(1);
    });
}
